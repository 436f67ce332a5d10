// Everything the call-record app runs on, in one resource group, with no shared key or secret in any app
// setting: a Flex Consumption function app whose one user-assigned identity reaches storage, Application
// Insights and (for the bot's Graph secret) Key Vault with data roles only.

import { roles } from 'roles.bicep'

param location string
param tags object
@description('Short unique suffix of every resource name.')
param resourceToken string
param principalId string
param principalType string
@allowed(['clientSecret', 'managedIdentity'])
param graphCredential string
param botAppId string
@secure()
param botAppSecret string
param botTenantId string
param allowedTenantIds string
@description('Sign-in registration; empty: API_AUTH=functionKey.')
param authClientId string
param authTenantId string
@allowed(['managedIdentity', 'clientSecret'])
param authCredential string
@secure()
param authClientSecret string
param authAllowedTenantIds string
param createBot bool
param botSku string
param instanceMemoryMB int
param maximumInstanceCount int
param callHistoryTable string
param callEventsQueue string
param reconcileSchedule string
param reconcileAfterMinutes int
param reconcileMaxCalls int
param retentionSchedule string
param retentionDays int
param alertEmail string
param alertCallback5xxPercent int
param alertReconcilerClosedPercent int
param alertRelayBacklog int
param participantDetails string
param keepAliveMinutes int
param callRecords string
param callRecordDelayMinutes int
param callRecordGiveUpHours int
param relayUrl string
@secure()
param relaySecret string
param relayInlineTimeoutMs int
param relayMaxAgeHours string
param relayQueue string

var useClientSecret = graphCredential == 'clientSecret'
// People and applications sign in with Entra ID (API_AUTH=entra) when there is a registration to sign in with.
var signIn = !empty(authClientId)
var signInWithSecret = signIn && authCredential == 'clientSecret'
var deploymentContainerName = 'app-package'
// The app's own defaults (CALL_RECORDS_CONTAINER, CALL_RECORDS_QUEUE), made here so they exist before the first call.
var callRecordsContainerName = 'call-records'
var callRecordsQueueName = 'call-record-fetches'
var callRecordsOn = callRecords == 'on'
var functionAppName = 'func-calls-${resourceToken}'

// Mistakes that would otherwise deploy an app that cannot start, or one that quietly uses the wrong credential.
var checkedBotAppSecret = useClientSecret && empty(botAppSecret)
  ? fail('botAppSecret is required with graphCredential=clientSecret (azd env set BOT_APP_SECRET ...), or set graphCredential=managedIdentity.')
  : botAppSecret
var checkedBotAppId = useClientSecret && empty(botAppId)
  ? fail('botAppId is required with graphCredential=clientSecret (azd env set BOT_APP_ID ...).')
  : botAppId
var checkedAuthClientSecret = signInWithSecret && empty(authClientSecret)
  ? fail('authClientSecret is required with authCredential=clientSecret (azd env set-secret AUTH_CLIENT_SECRET), or set authCredential=managedIdentity.')
  : authClientSecret
var authTenants = empty(authAllowedTenantIds) ? authTenantId : authAllowedTenantIds
var checkedAuthTenants = signIn && length(split(authTenants, ',')) > 10
  ? fail('authAllowedTenantIds names more than 10 tenants; App Service Authentication checks at most 10 (WEBSITE_AUTH_AAD_ALLOWED_TENANTS).')
  : authTenants

// The relay to the bot (docs/relay.md): on when relayUrl is given, and then never without its secret.
var useRelay = !empty(relayUrl)
var checkedRelayUrl = useRelay && !startsWith(toLower(relayUrl), 'https://')
  ? fail('relayUrl must be https:// (the bot\'s endpoint): the relay sends call notifications there.')
  : relayUrl
var checkedRelaySecret = useRelay && empty(relaySecret)
  ? fail('relaySecret is required with relayUrl (azd env set-secret RELAY_SECRET): the bot checks every relayed request against it.')
  : relaySecret
var useKeyVault = useClientSecret || useRelay || signInWithSecret

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-calls-${resourceToken}'
  location: location
  tags: tags
}

// The bot's app id is the identity's client id when the identity is the bot (graphCredential=managedIdentity).
var effectiveBotAppId = empty(botAppId) ? identity.properties.clientId : checkedBotAppId

// --- Monitoring -------------------------------------------------------------------------------------------

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: 'log-calls-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
    features: { disableLocalAuth: true }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-calls-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Telemetry only with an Entra token (the identity's Monitoring Metrics Publisher role), never with the key.
    DisableLocalAuth: true
  }
}

// Alert rules, an action group when someone is to be emailed, and the workbook (monitoring.bicep).
module monitoring 'monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    workspaceId: logAnalytics.id
    alertEmail: alertEmail
    callback5xxPercent: alertCallback5xxPercent
    reconcilerClosedPercent: alertReconcilerClosedPercent
    relayOn: !empty(relayUrl)
    relayBacklog: alertRelayBacklog
  }
}

// --- Storage: the host's leases, the deployment package, the call record, the call-ended events -----------

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: 'stcalls${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
    }

    resource callRecordsContainer 'containers' = if (callRecordsOn) {
      name: callRecordsContainerName
      properties: { publicAccess: 'None' }
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource historyTable 'tables' = {
      name: callHistoryTable
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource eventsQueue 'queues' = if (!empty(callEventsQueue)) {
      name: empty(callEventsQueue) ? 'unused' : callEventsQueue
    }

    resource callRecordsQueue 'queues' = if (callRecordsOn) {
      name: callRecordsQueueName
    }

    resource relayRetriesQueue 'queues' = if (useRelay) {
      name: useRelay ? relayQueue : 'unused-relay'
    }
  }
}

// --- The identity's roles: exactly these four, on exactly these scopes --------------------------------------

resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The person running azd may read the call record (the calls CLI) and the call-ended events; nothing more.
resource deployerTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(storage.id, principalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: principalId
    principalType: principalType
  }
}

resource deployerQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(storage.id, principalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: principalId
    principalType: principalType
  }
}

// --- Key Vault: the bot's Graph client secret, the relay's and the sign-in registration's, for the identity alone

resource keyVault 'Microsoft.KeyVault/vaults@2025-05-01' = if (useKeyVault) {
  name: 'kv-calls-${resourceToken}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }

  resource botSecret 'secrets' = if (useClientSecret) {
    name: 'bot-app-secret'
    properties: {
      value: checkedBotAppSecret
      contentType: 'Client secret of Entra app ${botAppId}'
    }
  }

  resource relaySecretValue 'secrets' = if (useRelay) {
    name: 'relay-secret'
    properties: {
      value: checkedRelaySecret
      contentType: 'Standard Webhooks secret of the relay to the bot'
    }
  }

  resource signInSecret 'secrets' = if (signInWithSecret) {
    name: 'sign-in-secret'
    properties: {
      value: checkedAuthClientSecret
      contentType: 'Client secret of the sign-in app registration ${authClientId}'
    }
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useClientSecret) {
  name: guid(keyVault::botSecret.id, identity.id, roles.keyVaultSecretsUser)
  scope: keyVault::botSecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource relaySecretUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useRelay) {
  name: guid(keyVault::relaySecretValue.id, identity.id, roles.keyVaultSecretsUser)
  scope: keyVault::relaySecretValue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource signInSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (signInWithSecret) {
  name: guid(keyVault::signInSecret.id, identity.id, roles.keyVaultSecretsUser)
  scope: keyVault::signInSecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// --- The function app -------------------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: 'plan-calls-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: functionAppName
  location: location
  // azd deploys the `functions` service of azure.yaml to the site with this tag.
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: { name: 'node', version: '20' }
    }
  }
}

// Deployments authenticate with Entra (azd, az), never with publishing user names and passwords.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

var identitySettings = {
  // The Functions host itself: leases, timer schedules, keys; reached with the identity, every service by URI.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  CallHistoryStorage__credential: 'managedidentity'
  CallHistoryStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  CallHistoryStorage__clientId: identity.properties.clientId
  CallEventsStorage__credential: 'managedidentity'
  CallEventsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  CallEventsStorage__clientId: identity.properties.clientId
  CallRecordsStorage__credential: 'managedidentity'
  CallRecordsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  CallRecordsStorage__clientId: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
}

var appSettingsOfTheApp = {
  CALL_HISTORY_TABLE: callHistoryTable
  CALL_EVENTS_QUEUE: callEventsQueue
  BOT_APP_ID: effectiveBotAppId
  AZURE_TENANT_ID: botTenantId
  ALLOWED_TENANT_IDS: allowedTenantIds == '*' ? '' : (empty(allowedTenantIds) ? botTenantId : allowedTenantIds)
  CALLBACK_AUTH: 'enabled'
  API_AUTH: signIn ? 'entra' : 'functionKey'
  RECONCILE_SCHEDULE: reconcileSchedule
  RECONCILE_AFTER_MINUTES: string(reconcileAfterMinutes)
  RECONCILE_MAX_CALLS: string(reconcileMaxCalls)
  RETENTION_SCHEDULE: retentionSchedule
  RETENTION_DAYS: string(retentionDays)
  PARTICIPANT_DETAILS: participantDetails
  KEEP_ALIVE_MINUTES: string(keepAliveMinutes)
  CALL_RECORDS: callRecords
  CALL_RECORD_DELAY_MINUTES: string(callRecordDelayMinutes)
  CALL_RECORD_GIVE_UP_HOURS: string(callRecordGiveUpHours)
}

var graphSettings = useClientSecret
  ? {
      AZURE_CLIENT_ID: checkedBotAppId
      // Resolved by the platform with keyVaultReferenceIdentity; the value never appears in the template or the site.
      AZURE_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVault::botSecret!.properties.secretUri})'
    }
  : {
      AZURE_CLIENT_ID: identity.properties.clientId
    }

var relaySettings = useRelay
  ? {
      RELAY_URL: checkedRelayUrl
      // Resolved by the platform with keyVaultReferenceIdentity, like the Graph secret.
      RELAY_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVault::relaySecretValue!.properties.secretUri})'
      RELAY_INLINE_TIMEOUT_MS: string(relayInlineTimeoutMs)
      RELAY_MAX_AGE_HOURS: relayMaxAgeHours
      RELAY_QUEUE: relayQueue
    }
  : {}

// Read by App Service Authentication, not by the app: which tenants may sign in, and how the platform proves it is
// the sign-in registration (the name of the setting is clientSecretSettingName below).
var signInCredentialSetting = signInWithSecret ? 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET' : 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
var signInSettings = !signIn
  ? {}
  : union(
      { WEBSITE_AUTH_AAD_ALLOWED_TENANTS: checkedAuthTenants },
      signInWithSecret
        ? { MICROSOFT_PROVIDER_AUTHENTICATION_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVault::signInSecret!.properties.secretUri})' }
        // The identity signs a client assertion (federated identity credential) instead of a secret (preview).
        : { OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identity.properties.clientId }
    )

// Read by the app (calls doctor): the registration the deployment was made for, held against the platform's sign-in.
var signInAppSettings = signIn ? { AUTH_CLIENT_ID: authClientId } : {}

// Written after the roles exist, so the first start finds its storage, telemetry and Key Vault reference readable.
resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(identitySettings, appSettingsOfTheApp, graphSettings, relaySettings, signInSettings, signInAppSettings)
  dependsOn: [
    blobDataOwner
    tableDataContributor
    queueDataContributor
    metricsPublisher
    secretsUser
    relaySecretUser
    storage::queueService::relayRetriesQueue
    signInSecretsUser
    storage::tableService::historyTable
    storage::queueService::eventsQueue
    storage::blobService::deploymentContainer
  ]
}

var callbackUrl = 'https://${functionApp.properties.defaultHostName}/api/callback'

// --- App Service Authentication (API_AUTH=entra): people and applications sign in with Entra ID -------------

// One action for every path that is not excluded: 401, right for the API. The callback carries Graph's own token;
// the console's page and assets are excluded so that the page can send a person who is not signed in to sign in
// (SPEC "Who may do what"): the app itself requires a principal on the page and on every API route.
resource authSettings 'Microsoft.Web/sites/config@2025-03-01' = if (signIn) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: [
        '/api/callback'
        '/api/console'
        '/api/console/assets/*'
      ]
    }
    httpSettings: {
      requireHttps: true
      routes: { apiPrefix: '/.auth' }
      forwardProxy: { convention: 'NoProxy' }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
          clientId: authClientId
          clientSecretSettingName: signInCredentialSetting
        }
        validation: {
          // Applications ask for api://<client id>/.default; a person's session is for the client id itself.
          allowedAudiences: [
            'api://${authClientId}'
            authClientId
          ]
        }
      }
    }
    login: {
      // The app reads the principal App Service puts on each request, never the provider's tokens.
      tokenStore: { enabled: false }
      // The console's #/calls/{id} survives the round trip to Entra.
      preserveUrlFragmentsForLogins: true
      allowedExternalRedirectUrls: []
      cookieExpiration: {
        convention: 'FixedTime'
        timeToExpiration: '08:00:00'
      }
    }
  }
  // The credential's setting (and its Key Vault reference) is there before the platform reads it.
  dependsOn: [appSettings]
}

// --- Optional: the Azure Bot for an existing app registration, its Teams channel calling this app ----------

resource bot 'Microsoft.BotService/botServices@2022-09-15' = if (createBot) {
  name: 'bot-calls-${resourceToken}'
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: { name: botSku }
  properties: {
    displayName: 'Call record ${resourceToken}'
    // A calling bot needs no messaging endpoint; Teams calls reach it through the channel's calling webhook.
    endpoint: ''
    msaAppId: effectiveBotAppId
    msaAppTenantId: botTenantId
    msaAppType: useClientSecret ? 'SingleTenant' : 'UserAssignedMSI'
    msaAppMSIResourceId: useClientSecret ? null : identity.id
    disableLocalAuth: true
  }

  resource teams 'channels' = {
    name: 'MsTeamsChannel'
    location: 'global'
    properties: {
      channelName: 'MsTeamsChannel'
      properties: {
        isEnabled: true
        enableCalling: true
        callingWebhook: callbackUrl
        incomingCallRoute: 'graphPma'
      }
    }
  }
}

output functionAppName string = functionApp.name
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'
output callbackUrl string = callbackUrl
output storageAccountName string = storage.name
output tableServiceUri string = storage.properties.primaryEndpoints.table
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output applicationInsightsName string = applicationInsights.name
output workbookId string = monitoring.outputs.workbookId
output keyVaultName string = useKeyVault ? keyVault.name : ''
output botName string = createBot ? bot.name : ''
output apiAuth string = signIn ? 'entra' : 'functionKey'
output consoleUrl string = 'https://${functionApp.properties.defaultHostName}/api/console'
output authRedirectUri string = signIn ? 'https://${functionApp.properties.defaultHostName}/.auth/login/aad/callback' : ''
