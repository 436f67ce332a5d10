// Built-in Azure role definitions the template assigns, by id (the ids are the same in every tenant).
// The managed identity gets the data roles only: no Contributor, no key access, no listKeys.

@export()
@description('Role definition ids, each with why the app needs it.')
var roles = {
  // The Functions host's leases and timer schedules (azure-webjobs-hosts), the Flex Consumption deployment package,
  // and whole call records (call-records, CALL_RECORDS=on).
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // The call record: read, write and create its table.
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Call-ended events on the call-events queue; the delayed call record fetches (call-record-fetches).
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Telemetry to Application Insights with Entra authentication (local auth is off).
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // Reading the bot's client secret, scoped to that one secret.
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}
