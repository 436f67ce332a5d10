// The one error the simulator raises on purpose: bad input to its control API, answered with 400.
// Anything else thrown inside a request is a simulator defect, logged and answered with 500 (see server.ts).

export class SimulatorInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'SimulatorInputError';
    }
}
