#!/usr/bin/env bash
# The Entra app registration people and applications sign in to the call-record app with (API_AUTH=entra),
# made with the Azure CLI: Bicep cannot (the Graph Bicep extension needs a registry download, and ARM has no
# resource for it). Run `register` once before `azd up`, as someone allowed to register applications; `connect`
# runs after provisioning (azure.yaml's postprovision hook runs it), as an owner of the registration. See
# docs/access.md.
#
#   infra/sign-in/sign-in.sh register [--name "Teams call record"]
#       creates the registration with the two app roles of app-roles.json (or updates them, when AUTH_CLIENT_ID is
#       set already), its identifier URI api://<client id>, and its service principal, which then lets in only the
#       people, groups and applications assigned a role; sets AUTH_CLIENT_ID in the azd environment.
#   infra/sign-in/sign-in.sh connect
#       after azd provision: adds the app's redirect URI (AUTH_REDIRECT_URI) and, with AUTH_CREDENTIAL=managedIdentity,
#       the federated identity credential that lets the app's managed identity prove it is the registration.
#       Without AUTH_CLIENT_ID it does nothing (sign-in is off).
#   infra/sign-in/sign-in.sh assign <object id | --app <client id>> <CallRecord.Read | CallRecord.Operate>
#       assigns an app role to a person or a group (their object id), or to an application (application permission).
#
# Values come from the environment (azd passes its environment to hooks) or, when run by hand, from `azd env get-value`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
roles="$here/app-roles.json"
graph="https://graph.microsoft.com/v1.0"

fail() {
  echo "sign-in.sh: $*" >&2
  exit 1
}

# The value of an azd environment setting: the process environment first (hooks), then azd's own.
setting() {
  local name="$1" value="${!1:-}"
  if [ -z "$value" ] && command -v azd >/dev/null 2>&1; then
    value="$(azd env get-value "$name" 2>/dev/null || true)"
  fi
  printf '%s' "$value"
}

require_az() {
  command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is needed: https://learn.microsoft.com/cli/azure/install-azure-cli"
  az account show --query tenantId -o tsv >/dev/null 2>&1 || fail "sign in first: az login"
}

register() {
  local name="Teams call record"
  while [ $# -gt 0 ]; do
    case "$1" in
      --name) name="${2:?--name needs a value}"; shift 2 ;;
      *) fail "register takes --name only, not $1" ;;
    esac
  done
  require_az
  local app_id
  app_id="$(setting AUTH_CLIENT_ID)"
  if [ -n "$app_id" ]; then
    echo "AUTH_CLIENT_ID is $app_id already: updating its app roles."
    az ad app update --id "$app_id" --app-roles "$roles" >/dev/null
  else
    # Single tenant; ID tokens for App Service Authentication's sign-in; the roles people and applications are assigned.
    app_id="$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg --enable-id-token-issuance true --app-roles "$roles" --query appId -o tsv)"
    echo "Registered \"$name\": application (client) id $app_id."
  fi
  # Applications ask for a token for api://<client id>/.default (the audience App Service Authentication allows).
  az ad app update --id "$app_id" --identifier-uris "api://$app_id" >/dev/null
  if ! az ad sp show --id "$app_id" --query id -o tsv >/dev/null 2>&1; then
    az ad sp create --id "$app_id" >/dev/null
  fi
  # Only those assigned a role may sign in at all; the app checks which role on every request.
  az ad sp update --id "$app_id" --set appRoleAssignmentRequired=true >/dev/null
  if command -v azd >/dev/null 2>&1 && azd env get-values >/dev/null 2>&1; then
    azd env set AUTH_CLIENT_ID "$app_id" >/dev/null
    echo "azd env set AUTH_CLIENT_ID $app_id: the next azd up turns App Service Authentication on (API_AUTH=entra)."
  else
    echo "Next: azd env set AUTH_CLIENT_ID $app_id, then azd up."
  fi
  echo "Then give people their roles: $0 assign <object id> CallRecord.Read (or CallRecord.Operate)."
}

connect() {
  local app_id redirect credential principal tenant
  app_id="$(setting AUTH_CLIENT_ID)"
  if [ -z "$app_id" ]; then
    echo "sign-in.sh connect: AUTH_CLIENT_ID is not set, so sign-in is off (API_AUTH=functionKey); nothing to do."
    return 0
  fi
  redirect="$(setting AUTH_REDIRECT_URI)"
  credential="$(setting AUTH_CREDENTIAL)"
  principal="$(setting MANAGED_IDENTITY_PRINCIPAL_ID)"
  [ -n "$redirect" ] || fail "AUTH_REDIRECT_URI is not set: run azd provision first (it is an output of the template)."
  require_az
  tenant="$(az account show --query tenantId -o tsv)"

  # The redirect URI App Service Authentication signs people in through, beside any the registration has.
  local uris=()
  mapfile -t uris < <(az ad app show --id "$app_id" --query 'web.redirectUris[]' -o tsv)
  if printf '%s\n' "${uris[@]}" | grep -qxF "$redirect"; then
    echo "The registration has the redirect URI $redirect already."
  else
    az ad app update --id "$app_id" --web-redirect-uris "${uris[@]}" "$redirect" >/dev/null
    echo "Added the redirect URI $redirect."
  fi

  if [ "${credential:-managedIdentity}" != "managedIdentity" ]; then
    echo "AUTH_CREDENTIAL=$credential: App Service Authentication uses the client secret in Key Vault; no federated credential."
    return 0
  fi
  [ -n "$principal" ] || fail "MANAGED_IDENTITY_PRINCIPAL_ID is not set: run azd provision first (it is an output of the template)."
  # The managed identity's tokens, exchanged for the registration's (App Service calls it a client assertion).
  if [ -n "$(az ad app federated-credential list --id "$app_id" --query "[?subject=='$principal'].name" -o tsv)" ]; then
    echo "The registration trusts the app's managed identity ($principal) already."
    return 0
  fi
  local parameters
  parameters="$(printf '{"name":"app-service-sign-in-%s","issuer":"https://login.microsoftonline.com/%s/v2.0","subject":"%s","audiences":["api://AzureADTokenExchange"],"description":"The call-record app'"'"'s managed identity, as App Service Authentication'"'"'s credential (OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID)."}' \
    "${principal:0:8}" "$tenant" "$principal")"
  az ad app federated-credential create --id "$app_id" --parameters "$parameters" >/dev/null
  echo "The registration now trusts the app's managed identity ($principal) as its credential: no client secret."
}

assign() {
  local principal_id role app_id sp_id role_id
  if [ "${1:-}" = "--app" ]; then
    require_az
    principal_id="$(az ad sp show --id "${2:?--app needs the application (client) id}" --query id -o tsv)"
    shift 2
  else
    principal_id="${1:?assign needs the object id of a person or a group, or --app <client id>}"
    shift
  fi
  role="${1:?assign needs the role: CallRecord.Read or CallRecord.Operate}"
  case "$role" in
    CallRecord.Read | CallRecord.Operate) ;;
    *) fail "the roles are CallRecord.Read and CallRecord.Operate, not $role" ;;
  esac
  app_id="$(setting AUTH_CLIENT_ID)"
  [ -n "$app_id" ] || fail "AUTH_CLIENT_ID is not set: run $0 register first."
  require_az
  sp_id="$(az ad sp show --id "$app_id" --query id -o tsv)"
  role_id="$(az ad app show --id "$app_id" --query "appRoles[?value=='$role'].id | [0]" -o tsv)"
  [ -n "$role_id" ] || fail "the registration $app_id has no app role $role: run $0 register again."
  az rest --method POST --uri "$graph/servicePrincipals/$sp_id/appRoleAssignedTo" \
    --headers "Content-Type=application/json" \
    --body "{\"principalId\":\"$principal_id\",\"resourceId\":\"$sp_id\",\"appRoleId\":\"$role_id\"}" >/dev/null
  echo "Assigned $role to $principal_id."
}

case "${1:-}" in
  register) shift; register "$@" ;;
  connect) shift; connect "$@" ;;
  assign) shift; assign "$@" ;;
  *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
