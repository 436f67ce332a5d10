// Where App Service Authentication signs people in and out (the local host serves the same paths with --sign-in),
// and the marker a page adds to the address it asks to come back to.

export const SIGN_IN_PATH = '/.auth/login/aad';
export const SIGN_OUT_PATH = '/.auth/logout';
/** On the address a sign-in returns to: a page that comes back with it and still no principal must not send the person round again. */
export const SIGNED_IN_MARKER = 'signedIn';
