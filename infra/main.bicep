// The whole deployment of the call-record app for `azd up`: one resource group per azd environment, and in it
// everything resources.bicep declares. Parameters come from main.parameters.json, which maps them to
// `azd env set` names.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment (dev, staging, prod, ...); names the resource group and seeds the resource names.')
param environmentName string

@minLength(1)
@description('Azure region for every resource. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Resource group to create; empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the person (or pipeline) running azd; empty: no data roles for them. azd fills it in.')
param principalId string = ''

@description('Kind of principalId: a person (User) or a pipeline (ServicePrincipal).')
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@description('How the app gets its Graph token: the bot app registration\'s client secret (kept in Key Vault), or the user-assigned managed identity itself (no secret anywhere).')
@allowed(['clientSecret', 'managedIdentity'])
param graphCredential string = 'clientSecret'

@description('Application (client) id of the bot\'s Entra app registration: the `aud` of callback tokens. Empty with graphCredential=managedIdentity: the identity\'s client id.')
param botAppId string = ''

@secure()
@description('Client secret of the bot\'s app registration (graphCredential=clientSecret only). Stored in Key Vault, never in an app setting.')
param botAppSecret string = ''

@description('Tenant of the bot\'s app registration; empty: the tenant azd deploys to.')
param botTenantId string = ''

@description('Tenants whose callbacks are accepted, comma-separated. Empty: the bot\'s own tenant only. `*`: any tenant (a multi-tenant bot).')
param allowedTenantIds string = ''

@description('Application (client) id of the Entra app registration people and applications sign in with (infra/sign-in/sign-in.sh register creates it). Empty: API_AUTH=functionKey, a function key guards the API.')
param authClientId string = ''

@description('Tenant of the sign-in registration; empty: the tenant azd deploys to.')
param authTenantId string = ''

@description('How App Service Authentication proves it is the sign-in registration: the app\'s managed identity as a federated identity credential (no secret anywhere; preview in App Service), or the registration\'s client secret, kept in Key Vault.')
@allowed(['managedIdentity', 'clientSecret'])
param authCredential string = 'managedIdentity'

@secure()
@description('Client secret of the sign-in registration (authCredential=clientSecret only). Stored in Key Vault, never in an app setting.')
param authClientSecret string = ''

@description('Tenants whose people and applications may sign in, comma-separated, at most 10; empty: the registration\'s own tenant.')
param authAllowedTenantIds string = ''

@description('Create an Azure Bot resource for botAppId with the Teams channel, calling on, and its calling webhook set to this app\'s /api/callback.')
param createBot bool = false

@description('Pricing tier of the Azure Bot resource (createBot only). Calling through Graph works on F0.')
@allowed(['F0', 'S1'])
param botSku string = 'F0'

@description('Memory of one Flex Consumption instance, MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Most instances the app scales out to. Each instance makes its own storage and Graph connections.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Table that holds the call record.')
param callHistoryTable string = 'CallHistory'

@description('Queue for call-ended events; empty: no events.')
param callEventsQueue string = 'call-events'

@description('NCRONTAB schedule of the reconciler, which closes calls Graph never ended.')
param reconcileSchedule string = '0 */5 * * * *'

@description('Minutes without news after which the reconciler asks Graph about an active call (0-10080).')
@minValue(0)
@maxValue(10080)
param reconcileAfterMinutes int = 45

@description('Most calls one reconciler run looks at.')
@minValue(1)
param reconcileMaxCalls int = 500

@description('NCRONTAB schedule of the retention purge.')
param retentionSchedule string = '0 30 2 * * *'

@description('Days an ended call is kept; 0 keeps every call for ever.')
@minValue(0)
param retentionDays int = 90

@description('Who is emailed when an alert rule fires (docs/operations.md); empty: no action group, the alerts only show in the portal.')
param alertEmail string = ''

@description('Alert when more than this percentage of callbacks are answered 5xx over 15 minutes.')
@minValue(1)
@maxValue(100)
param alertCallback5xxPercent int = 5

@description('Alert when the reconciler closes more than this percentage of the calls it checks in an hour (at least 5 checked): notifications are not arriving.')
@minValue(1)
@maxValue(100)
param alertReconcilerClosedPercent int = 20

@description('With the relay on: alert when more calls than this wait for a retry to the bot, and more than 15 minutes before.')
@minValue(1)
param alertRelayBacklog int = 100
@description('Minutes between keepAlives for every active call (0: off; 15 recommended when the bot sends none itself).')
@minValue(0)
@maxValue(30)
param keepAliveMinutes int = 0

@description('Graph\'s call record after each call (on needs the application permission CallRecords.Read.All), or off.')
@allowed(['on', 'off'])
param callRecords string = 'off'

@description('Minutes after a call\'s end before its call record is first asked for (Graph has it 15 to 150 minutes after).')
@minValue(0)
@maxValue(1440)
param callRecordDelayMinutes int = 15

@description('Hours after a call\'s end after which its call record is given up on (notFound).')
@minValue(1)
@maxValue(720)
param callRecordGiveUpHours int = 6

@description('Participant details in the roster: full (names, phone numbers) or ids (ids only, phone numbers masked).')
@allowed(['full', 'ids'])
param participantDetails string = 'full'

@description('The bot\'s own endpoint: every notification the app stores is relayed there, signed (docs/relay.md). Empty: no relay. https only.')
param relayUrl string = ''

@secure()
@description('The relay\'s Standard Webhooks secret (whsec_ + base64), required with relayUrl. Stored in Key Vault, never in an app setting.')
param relaySecret string = ''

@description('How long the callback\'s own first delivery to the bot may take before it answers Graph, ms (100-30000).')
@minValue(100)
@maxValue(30000)
param relayInlineTimeoutMs int = 2000

@description('Hours after which a notification the bot never accepted is dead-lettered; fractions allowed.')
param relayMaxAgeHours string = '24'

@description('Queue of the relay\'s retries.')
param relayQueue string = 'relay-retries'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource resourceGroup 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'resources'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: principalId
    principalType: principalType
    graphCredential: graphCredential
    botAppId: botAppId
    botAppSecret: botAppSecret
    botTenantId: empty(botTenantId) ? tenant().tenantId : botTenantId
    allowedTenantIds: allowedTenantIds
    authClientId: authClientId
    authTenantId: empty(authTenantId) ? tenant().tenantId : authTenantId
    authCredential: authCredential
    authClientSecret: authClientSecret
    authAllowedTenantIds: authAllowedTenantIds
    createBot: createBot
    botSku: botSku
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    callHistoryTable: callHistoryTable
    callEventsQueue: callEventsQueue
    reconcileSchedule: reconcileSchedule
    reconcileAfterMinutes: reconcileAfterMinutes
    reconcileMaxCalls: reconcileMaxCalls
    retentionSchedule: retentionSchedule
    retentionDays: retentionDays
    alertEmail: alertEmail
    alertCallback5xxPercent: alertCallback5xxPercent
    alertReconcilerClosedPercent: alertReconcilerClosedPercent
    alertRelayBacklog: alertRelayBacklog
    participantDetails: participantDetails
    keepAliveMinutes: keepAliveMinutes
    callRecords: callRecords
    callRecordDelayMinutes: callRecordDelayMinutes
    callRecordGiveUpHours: callRecordGiveUpHours
    relayUrl: relayUrl
    relaySecret: relaySecret
    relayInlineTimeoutMs: relayInlineTimeoutMs
    relayMaxAgeHours: relayMaxAgeHours
    relayQueue: relayQueue
  }
}

@description('Resource group that holds everything.')
output AZURE_RESOURCE_GROUP string = resourceGroup.name

@description('The function app\'s base URL.')
output FUNCTION_APP_URL string = resources.outputs.functionAppUrl

@description('Paste this into the bot\'s Teams channel as its calling webhook (done for you with createBot).')
output CALLBACK_URL string = resources.outputs.callbackUrl

output FUNCTION_APP_NAME string = resources.outputs.functionAppName
output STORAGE_ACCOUNT_NAME string = resources.outputs.storageAccountName
output TABLE_SERVICE_URI string = resources.outputs.tableServiceUri
output MANAGED_IDENTITY_CLIENT_ID string = resources.outputs.identityClientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
output APPLICATION_INSIGHTS_NAME string = resources.outputs.applicationInsightsName
@description('The workbook with the signals the alert rules watch (Application Insights, Workbooks, or this id).')
output MONITORING_WORKBOOK_ID string = resources.outputs.workbookId
output KEY_VAULT_NAME string = resources.outputs.keyVaultName
output BOT_NAME string = resources.outputs.botName

@description('API_AUTH of the app: entra when AUTH_CLIENT_ID is set, functionKey otherwise.')
output API_AUTH string = resources.outputs.apiAuth

@description('Where people open the operator console (with API_AUTH=entra they are sent to sign in first).')
output CONSOLE_URL string = resources.outputs.consoleUrl

@description('The sign-in registration\'s web redirect URI (infra/sign-in/sign-in.sh connect adds it); empty without sign-in.')
output AUTH_REDIRECT_URI string = resources.outputs.authRedirectUri
