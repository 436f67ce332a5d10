// Architecture rules, checked by `npm run lint` (and so by `npm test` and CI): no import cycles, `shared/` in
// rooms that depend in one direction only, and the app's code never reaching into the tools around it.
// docs/architecture.md explains the rooms; ROOMS below is their order, lowest first.

/** The rooms of `shared/`, lowest first: a room may import the rooms before it and the root files, never one after it. */
const ROOMS = ['settings', 'telemetry', 'access', 'record', 'relay', 'participants', 'query', 'graph', 'lifecycle', 'callRecords', 'callback', 'doctor', 'http', 'app'];

const roomOrder = ROOMS.map((room, index) => {
    const higher = ROOMS.slice(index + 1);
    return {
        name: `room-order-${room}`,
        comment: `shared/${room}/ may import only the rooms before it (${ROOMS.slice(0, index).join(', ') || 'none'}) and the root files of shared/`,
        severity: 'error',
        from: { path: `^shared/${room}/` },
        to: { path: higher.length > 0 ? `^shared/(${higher.join('|')})/` : '^$' },
    };
});

module.exports = {
    forbidden: [
        {
            name: 'no-circular',
            comment: 'An import cycle: the modules in it cannot be understood, tested or loaded one without the other.',
            severity: 'error',
            from: {},
            to: { circular: true },
        },
        {
            name: 'shared-stays-inside',
            comment: 'shared/ is the app; the functions, tools, command line, console and tests use it, never the reverse.',
            severity: 'error',
            from: { path: '^shared/' },
            to: { path: '^(functions|dev|bench|cli|console|test|infra)/' },
        },
        {
            name: 'shared-without-functions-runtime',
            comment: 'Only functions/ talks to @azure/functions: shared/ stays plain TypeScript that any test can call.',
            severity: 'error',
            from: { path: '^shared/' },
            to: { path: '@azure/functions' },
        },
        {
            name: 'root-files-import-no-room',
            comment: 'The root files of shared/ are the basics every room uses; they cannot depend on a room.',
            severity: 'error',
            from: { path: '^shared/[^/]+$' },
            to: { path: `^shared/(${ROOMS.join('|')})/` },
        },
        ...roomOrder,
        {
            name: 'functions-are-thin-adapters',
            comment:
                'A function file registers a function and adapts HTTP or a timer to shared/: it imports shared/ and @azure/functions only, never another function file or a tool.',
            severity: 'error',
            from: { path: '^functions/' },
            to: { path: '^(functions|dev|bench|cli|console|test)/' },
        },
        {
            name: 'cli-and-console-use-the-app-not-its-tools',
            comment: 'The command line and the console page are shipped; they must not need the dev, bench or test tools.',
            severity: 'error',
            from: { path: '^(cli|console)/' },
            to: { path: '^(dev|bench|test|functions)/' },
        },
        {
            name: 'dev-not-from-bench-or-test',
            comment: 'dev/ (npm start, the host, the simulator) is used by the tests and the bench, not the other way round.',
            severity: 'error',
            from: { path: '^dev/' },
            to: { path: '^(bench|test)/' },
        },
    ],
    options: {
        doNotFollow: { path: 'node_modules' },
        exclude: { path: '^(dist|node_modules|infra/bicep/.tools)/' },
        // TypeScript 7 has no compiler API for tools to load; swc reads the sources, type-only imports included.
        parser: 'swc',
        tsPreCompilationDeps: true,
        tsConfig: { fileName: 'tsconfig.json' },
        enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    },
};
