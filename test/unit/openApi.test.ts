// The OpenAPI description is a valid OpenAPI 3.1 document (checked by a maintained validator), describes
// every HTTP function the app registers, and states the rules the code checks with.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CALL_ID_PATTERN } from '../../shared/callId';
import { openApiDocument } from '../../shared/http/openApi';
import { MAX_TOP } from '../../shared/query/queryOptions';
import { REPOSITORY_ROOT } from '../support/hostProcess';

// biome-ignore lint/suspicious/noExplicitAny: the test walks an OpenAPI document of any shape, checked by the validator first
type Json = Record<string, any>;

describe('OpenAPI document', () => {
    const document = openApiDocument('/api') as Json;

    test('is valid OpenAPI 3.1', async () => {
        // prepare: the validator is an ES module
        const { Validator } = (await import('@seriousme/openapi-schema-validator')) as typeof import('@seriousme/openapi-schema-validator');

        // act
        const result = await new Validator().validate(JSON.parse(JSON.stringify(document)));

        // assess
        assert.deepEqual(result.errors ?? [], []);
        assert.equal(result.valid, true);
    });

    test('the validator does catch a broken document', async () => {
        // prepare
        const { Validator } = (await import('@seriousme/openapi-schema-validator')) as typeof import('@seriousme/openapi-schema-validator');
        const broken = JSON.parse(JSON.stringify(document)) as Json;
        delete broken.paths['/calls'].get.responses['200'].description;

        // act
        const result = await new Validator().validate(broken);

        // assess
        assert.equal(result.valid, false);
    });

    test('has an operation for every HTTP function in functions/, by name, method and route', () => {
        // prepare: each function file's registration, read from its source
        const registered = readdirSync(path.join(REPOSITORY_ROOT, 'functions'))
            .filter((file) => file.endsWith('.ts'))
            .flatMap((file) => {
                const source = readFileSync(path.join(REPOSITORY_ROOT, 'functions', file), 'utf8');
                const registration = /app\.http\('([^']+)', \{\s*methods: \[([^\]]*)\],[\s\S]*?route: '([^']+)'/.exec(source);
                if (registration === null) return [];
                const [, name = '', methods = '', route = ''] = registration;
                return methods
                    .split(',')
                    .map((method) => method.trim().replace(/'/g, '').toLowerCase())
                    .map((method) => ({ name, method, route: `/${route.replace('{*callId}', '{callId}')}` }));
            });

        // act
        const described = Object.entries(document.paths as Json).flatMap(([route, item]) =>
            Object.entries(item as Json)
                .filter(([method]) => ['get', 'post', 'delete', 'put', 'patch'].includes(method))
                .map(([method, operation]) => ({ name: (operation as Json).operationId as string, method, route })),
        );

        // assess
        const byName = (a: { name: string; method: string }, b: { name: string; method: string }) => `${a.name} ${a.method}`.localeCompare(`${b.name} ${b.method}`);
        assert.ok(registered.length >= 8, `found ${registered.length} registrations`);
        assert.deepEqual(described.sort(byName), registered.sort(byName));
    });

    test('states the rules the code checks with, and every error as problem+json', () => {
        // act
        const callId = document.paths['/calls/{callId}'].parameters[0].schema;
        const top = document.paths['/calls'].get.parameters.find((p: Json) => p.name === 'top').schema;
        const problems = Object.values(document.components.responses as Json).filter((r: Json) => r.content !== undefined);

        // assess
        assert.equal(new RegExp(callId.pattern).source, CALL_ID_PATTERN.source);
        assert.equal(top.maximum, MAX_TOP);
        assert.ok(problems.length >= 3);
        for (const response of problems) assert.deepEqual(Object.keys((response as Json).content), ['application/problem+json']);
        assert.deepEqual(Object.keys(document.components.securitySchemes), ['functionKey', 'functionKeyQuery', 'entraBearer', 'entraSession', 'callbackToken']);
        assert.deepEqual(document.paths['/callback'].post.security, [{ callbackToken: [] }]);
        assert.deepEqual(document.paths['/console/assets/{name}'].get.security, []);
    });
});
