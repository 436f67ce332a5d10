// Evaluates what `bicep snapshot` leaves for deployment time: ARM template expressions over a resource's
// runtime properties (`reference(id, version).primaryEndpoints.table`) and over @secure() parameters. The
// test supplies those values, so it sees the app settings Azure would write. Only the functions this
// template uses are known; any other one fails the test, so a new kind of expression is looked at, not guessed.

export interface ArmContext {
    parameters: Readonly<Record<string, unknown>>;
    /** What `reference(resourceId, apiVersion)` returns at deployment time. */
    reference(resourceId: string): Record<string, unknown>;
}

/** `fail('...')` was evaluated: ARM would stop the deployment with this message. */
export class ArmDeploymentFailure extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'ArmDeploymentFailure';
    }
}

type Node =
    | { kind: 'literal'; value: unknown }
    | { kind: 'call'; name: string; args: Node[] }
    | { kind: 'property'; target: Node; name: string }
    | { kind: 'index'; target: Node; index: Node };

/** Evaluates every expression string inside `value` (objects and arrays are walked). */
export function evaluateArm(value: unknown, context: ArmContext): unknown {
    if (typeof value === 'string') {
        if (value.startsWith('[[')) return value.slice(1);
        if (value.startsWith('[') && value.endsWith(']')) return evaluateNode(parseExpression(value.slice(1, -1)), context);
        return value;
    }
    if (Array.isArray(value)) return value.map((item) => evaluateArm(item, context));
    if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, evaluateArm(item, context)]));
    }
    return value;
}

function parseExpression(text: string): Node {
    let at = 0;
    const skipSpace = () => {
        while (at < text.length && /\s/.test(text[at] as string)) at++;
    };
    const expect = (char: string) => {
        skipSpace();
        if (text[at] !== char) throw new SyntaxError(`Expected "${char}" at ${at} in ARM expression: ${text}`);
        at++;
    };
    const identifier = (): string => {
        skipSpace();
        const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at));
        if (match === null) throw new SyntaxError(`Expected a name at ${at} in ARM expression: ${text}`);
        at += match[0].length;
        return match[0];
    };
    const primary = (): Node => {
        skipSpace();
        const char = text[at];
        if (char === "'") {
            let value = '';
            at++;
            for (;;) {
                if (at >= text.length) throw new SyntaxError(`Unterminated string in ARM expression: ${text}`);
                if (text[at] === "'") {
                    if (text[at + 1] === "'") {
                        value += "'";
                        at += 2;
                        continue;
                    }
                    at++;
                    return { kind: 'literal', value };
                }
                value += text[at];
                at++;
            }
        }
        const number = /^-?\d+/.exec(text.slice(at));
        if (number !== null) {
            at += number[0].length;
            return { kind: 'literal', value: Number(number[0]) };
        }
        const name = identifier();
        expect('(');
        const args: Node[] = [];
        skipSpace();
        if (text[at] === ')') {
            at++;
        } else {
            for (;;) {
                args.push(expression());
                skipSpace();
                if (text[at] === ',') {
                    at++;
                    continue;
                }
                expect(')');
                break;
            }
        }
        return { kind: 'call', name, args };
    };
    const expression = (): Node => {
        let node = primary();
        for (;;) {
            skipSpace();
            if (text[at] === '.') {
                at++;
                node = { kind: 'property', target: node, name: identifier() };
            } else if (text[at] === '[') {
                at++;
                const index = expression();
                expect(']');
                node = { kind: 'index', target: node, index };
            } else {
                return node;
            }
        }
    };
    const node = expression();
    skipSpace();
    if (at !== text.length) throw new SyntaxError(`Unexpected "${text.slice(at)}" in ARM expression: ${text}`);
    return node;
}

function evaluateNode(node: Node, context: ArmContext): unknown {
    switch (node.kind) {
        case 'literal':
            return node.value;
        case 'property':
        case 'index': {
            const target = evaluateNode(node.target, context);
            const key = node.kind === 'property' ? node.name : evaluateNode(node.index, context);
            if (target === null || typeof target !== 'object' || !(String(key) in target)) {
                throw new Error(`The ARM expression reads "${String(key)}", which ${JSON.stringify(target)} does not have.`);
            }
            return (target as Record<string, unknown>)[String(key)];
        }
        case 'call':
            return call(node.name, node.args, context);
    }
}

function call(name: string, args: readonly Node[], context: ArmContext): unknown {
    const lower = name.toLowerCase();
    // `if` evaluates only the branch it takes, as ARM does, so `fail()` in the other one is harmless.
    if (lower === 'if') {
        const [condition, whenTrue, whenFalse] = args;
        if (condition === undefined || whenTrue === undefined || whenFalse === undefined) throw new Error('if() takes three arguments.');
        return evaluateNode(evaluateNode(condition, context) === true ? whenTrue : whenFalse, context);
    }
    const values = args.map((arg) => evaluateNode(arg, context));
    const text = (index: number) => String(values[index]);
    switch (lower) {
        case 'parameters': {
            if (!(text(0) in context.parameters)) throw new Error(`The scenario gives no value for parameter "${text(0)}".`);
            return context.parameters[text(0)];
        }
        case 'reference':
            return context.reference(text(0));
        case 'format':
            return text(0).replace(/\{(\d+)\}/g, (_, i: string) => String(values[Number(i) + 1]));
        case 'concat':
            return values.map(String).join('');
        case 'string':
            return typeof values[0] === 'string' ? values[0] : JSON.stringify(values[0]);
        case 'tolower':
            return text(0).toLowerCase();
        case 'true':
            return true;
        case 'false':
            return false;
        case 'not':
            return values[0] !== true;
        case 'and':
            return values.every((v) => v === true);
        case 'or':
            return values.some((v) => v === true);
        case 'equals':
            return JSON.stringify(values[0]) === JSON.stringify(values[1]);
        case 'empty': {
            const v = values[0];
            if (v === null || v === undefined) return true;
            if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
            if (typeof v === 'object') return Object.keys(v).length === 0;
            return false;
        }
        case 'createobject': {
            const object: Record<string, unknown> = {};
            for (let i = 0; i + 1 < values.length; i += 2) object[String(values[i])] = values[i + 1];
            return object;
        }
        case 'union':
            return Object.assign({}, ...values.map((v) => v as object));
        case 'fail':
            throw new ArmDeploymentFailure(text(0));
        case 'environment':
            // What ARM answers in Azure's public cloud (the only one the tests deploy to); the template reads the login endpoint.
            return { name: 'AzureCloud', authentication: { loginEndpoint: 'https://login.microsoftonline.com/', audiences: ['https://management.azure.com/'] } };
        default:
            throw new Error(`The template uses ARM function ${name}(), which this evaluator does not know: teach it, with a test.`);
    }
}
