// Sign-in (SPEC "Who may do what"): API_AUTH against what the platform says about App Service Authentication.
// entra needs the platform's sign-in (WEBSITE_AUTH_ENABLED), and in Azure the registration the deployment was made
// for (AUTH_CLIENT_ID), the same the platform signs people in for (WEBSITE_AUTH_CLIENT_ID, where it says). A
// function key with the platform's sign-in on is wrong too: the host checks the key and the platform the person,
// so a signed-in person still gets 401.

import { withSettings, type DoctorCheck } from './doctorCheck';

export const signInCheck: DoctorCheck = {
    id: 'sign-in',
    title: 'sign-in and the platform',
    run: (context) =>
        withSettings(context, async ({ access, runningInAzure }) => {
            if (access.mode === 'functionKey') {
                if (access.platformSignIn) {
                    return {
                        status: 'fail',
                        detail: 'API_AUTH=functionKey, and App Service Authentication is on (WEBSITE_AUTH_ENABLED): the host wants a key on every route and the platform a signed-in person, so people who sign in still get 401.',
                        action: 'Set API_AUTH=entra (the template does when AUTH_CLIENT_ID is given), or turn App Service Authentication off.',
                    };
                }
                return { status: 'ok', detail: 'API_AUTH=functionKey: the Functions host wants a function key on every route but the callback; nobody signs in.' };
            }
            if (!access.platformSignIn) {
                return {
                    status: 'fail',
                    detail: 'API_AUTH=entra, and App Service Authentication is off (WEBSITE_AUTH_ENABLED is not true): the app trusts no principal, so every API request is refused 401.',
                    action: runningInAzure
                        ? 'Deploy with AUTH_CLIENT_ID (infra/sign-in/sign-in.sh register, then azd up), which turns App Service Authentication on (docs/access.md).'
                        : 'Run the app behind the local sign-in (npm start -- --sign-in), or set API_AUTH=functionKey.',
                };
            }
            const { registrationClientId: registration, platformClientId: platform } = access;
            if (registration === undefined) {
                return runningInAzure
                    ? {
                          status: 'fail',
                          detail: 'API_AUTH=entra with App Service Authentication on, but AUTH_CLIENT_ID is not set: nothing says which registration people and applications are meant to sign in for.',
                          action: 'Deploy with AUTH_CLIENT_ID (the template sets it with the sign-in registration), or set it to the registration the platform uses.',
                      }
                    : {
                          status: 'ok',
                          detail: "API_AUTH=entra behind the local host's sign-in (npm start -- --sign-in), which plays App Service Authentication: no registration here.",
                      };
            }
            if (platform !== undefined && platform !== registration) {
                return {
                    status: 'fail',
                    detail: `App Service Authentication signs people in for registration ${platform} (WEBSITE_AUTH_CLIENT_ID), but AUTH_CLIENT_ID is ${registration}: tokens applications get for ${registration} are refused.`,
                    action: 'Deploy again with the right AUTH_CLIENT_ID (azd env set AUTH_CLIENT_ID, azd up): the template sets both from it.',
                };
            }
            const seen = platform === undefined ? 'the platform does not say which registration it uses here' : 'the platform signs people in for the same one';
            return { status: 'ok', detail: `API_AUTH=entra with App Service Authentication on, for registration ${registration} (AUTH_CLIENT_ID); ${seen}.` };
        }),
};
