// Knowing before the users do: log alert rules and a workbook on the metrics the app sends to Application
// Insights (shared/telemetry/catalogue.ts names them; test/infra holds every query here against that list), and an
// action group that emails someone when an email is given. docs/operations.md says what to do when each fires.
//
// The metrics arrive in the workspace's AppMetrics table (one row per series and minute; a counter's count is in
// Sum, a histogram's in Sum and ItemCount). A new workspace has no such table until the first row lands, and a
// log alert whose query names a missing table fails validation, and then evaluation: every query reads the table
// through a fuzzy union with an empty table of the same columns, and the rules skip the deployment-time check.

param location string
param tags object
param resourceToken string
@description('The Log Analytics workspace behind Application Insights: where the rules query and the workbook reads.')
param workspaceId string
@description('Who is emailed when an alert fires; empty: no action group (the alerts still fire and show in the portal).')
param alertEmail string
@description('A callback 5xx rate above this percentage over 15 minutes fires an alert.')
param callback5xxPercent int
@description('The reconciler closing more than this percentage of the calls it checks in an hour fires an alert.')
param reconcilerClosedPercent int
@description('The relay to the bot is on (RELAY_URL): its alert rules are deployed.')
param relayOn bool
@description('More calls than this waiting for a retry to the bot, and more than 15 minutes before, fires an alert.')
param relayBacklog int

// AppMetrics, or an empty table with its columns while the workspace has none yet.
var appMetrics = 'union isfuzzy=true (datatable(TimeGenerated: datetime, Name: string, Sum: real, ItemCount: int, Max: real, Properties: dynamic)[]), AppMetrics\n'

var signals = {
  callback401: '''
| where Name == "callrecord.callback.requests" and tostring(Properties.status) == "401"
| summarize refused = sum(Sum) by reason = tostring(Properties.reason)
'''
  callback5xxRate: '''
| where Name == "callrecord.callback.requests"
| summarize total = sum(Sum), failed = sumif(Sum, tostring(Properties.status) startswith "5")
| where total > 0
| extend failedPercent = 100.0 * failed / total
'''
  reconcilerClosedShare: '''
| where Name == "callrecord.reconciler.calls"
| summarize checked = sumif(Sum, tostring(Properties.outcome) == "checked"), closed = sumif(Sum, tostring(Properties.outcome) == "closed")
| where checked >= 5
| extend closedPercent = 100.0 * closed / checked
'''
  graphRefused: '''
| where (Name == "callrecord.hangups" and tostring(Properties.graph_status) in ("401", "403"))
    or (Name == "callrecord.reconciler.runs" and tostring(Properties.result) == "refused")
    or (Name == "callrecord.keepalive.runs" and tostring(Properties.result) == "refused")
    or (Name == "callrecord.call_records.fetches" and tostring(Properties.result) == "forbidden")
| summarize refused = sum(Sum) by signal = Name
'''
  functionFailures: '''
| where Name == "callrecord.function.failures"
| summarize failures = sum(Sum) by functionName = tostring(Properties["function"])
'''
  relayDeadLetters: '''
| where Name == "callrecord.relay.notifications" and tostring(Properties.outcome) == "dead_lettered"
| summarize deadLettered = sum(Sum)
'''
  // The gauge is read at each reconciler run (every 5 minutes by default): the last 15 minutes against the 15 before.
  relayBacklogGrowing: '''
| where Name == "callrecord.relay.backlog"
| extend recent = TimeGenerated > ago(15m)
| summarize before = avgif(Sum, not(recent)), backlog = maxif(Sum, recent)
| where backlog > before
'''
}

var baseRules = [
  {
    name: 'callback-401'
    displayName: 'Callbacks refused (401): the record is losing notifications'
    description: 'Graph gives up on a notification answered 401. Check BOT_APP_ID against the bot\'s app id (reason audience), the tenant list (tenant_not_allowed), and that nothing strips the Authorization header (no_token). docs/operations.md#callbacks-refused'
    severity: 1
    frequency: 'PT5M'
    window: 'PT5M'
    query: signals.callback401
    measure: 'refused'
    aggregation: 'Total'
    threshold: 0
    dimension: 'reason'
  }
  {
    name: 'callback-5xx'
    displayName: 'Callbacks failing (5xx): storage or the signing keys are out'
    description: 'Graph delivers again after a 503, for a while. Look at the reason of the 503s in the workbook: storage, signing_keys, call_events_queue, contention. docs/operations.md#callbacks-failing'
    severity: 2
    frequency: 'PT5M'
    window: 'PT15M'
    query: signals.callback5xxRate
    measure: 'failedPercent'
    aggregation: 'Maximum'
    threshold: callback5xxPercent
    dimension: ''
  }
  {
    name: 'reconciler-closing'
    displayName: 'The reconciler closes many of the calls it checks: notifications are not arriving'
    description: 'Graph no longer knows calls the record thinks are active: the calling webhook is not this app, or Graph stopped calling it. docs/operations.md#reconciler-closing'
    severity: 2
    frequency: 'PT15M'
    window: 'PT1H'
    query: signals.reconcilerClosedShare
    measure: 'closedPercent'
    aggregation: 'Maximum'
    threshold: reconcilerClosedPercent
    dimension: ''
  }
  {
    name: 'graph-refused'
    displayName: 'Graph refuses the app (401/403): hang-ups, the reconciler, keepAlive or call records fail'
    description: 'The app\'s Graph token or its application permissions were refused (the signal says where: hang-ups, the reconciler, keepAlive, call records). Grant a calling permission (Calls.Initiate.All), and CallRecords.Read.All with CALL_RECORDS=on, with admin consent; check the client secret. docs/operations.md#graph-refused'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: signals.graphRefused
    measure: 'refused'
    aggregation: 'Total'
    threshold: 0
    dimension: 'signal'
  }
  {
    name: 'function-failures'
    displayName: 'Function invocations failed'
    description: 'An invocation threw or answered 500: a defect or an outage the app did not expect. The logs of the invocation say which. docs/operations.md#function-failures'
    severity: 1
    frequency: 'PT5M'
    window: 'PT5M'
    query: signals.functionFailures
    measure: 'failures'
    aggregation: 'Total'
    threshold: 0
    dimension: 'functionName'
  }
]

var relayRules = [
  {
    name: 'relay-dead-letters'
    displayName: 'The relay dead-lettered notifications: the bot never got them'
    description: 'The bot did not accept a request for RELAY_MAX_AGE_HOURS; its notifications are marked failed and the call went on without them. Find the calls (GET /api/calls?relay=failed), fix the bot, replay them (calls relay replay). docs/operations.md#relay-dead-letters'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: signals.relayDeadLetters
    measure: 'deadLettered'
    aggregation: 'Total'
    threshold: 0
    dimension: ''
  }
  {
    name: 'relay-backlog'
    displayName: 'Deliveries to the bot pile up: the relay\'s backlog is growing'
    description: 'More calls wait for a retry to the bot than the threshold, and more than 15 minutes before: the bot is down, slow or refusing the signature. Look at the bot\'s answers in the workbook (Relay: requests by the bot\'s answer). docs/operations.md#relay-backlog'
    severity: 2
    frequency: 'PT15M'
    window: 'PT30M'
    query: signals.relayBacklogGrowing
    measure: 'backlog'
    aggregation: 'Maximum'
    threshold: relayBacklog
    dimension: ''
  }
]

var alertRules = concat(baseRules, relayOn ? relayRules : [])

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-calls-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'callrecord'
    enabled: true
    emailReceivers: [
      {
        name: 'on-call'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in alertRules: {
    name: 'alert-calls-${rule.name}-${resourceToken}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [workspaceId]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      // AppMetrics exists only once the app has sent a metric: nothing to validate against on a new workspace.
      skipQueryValidation: true
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: '${appMetrics}${rule.query}'
            timeAggregation: rule.aggregation
            metricMeasureColumn: rule.measure
            dimensions: empty(rule.dimension) ? [] : [{ name: rule.dimension, operator: 'Include', values: ['*'] }]
            operator: 'GreaterThan'
            threshold: rule.threshold
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      actions: { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
    }
  }
]

// The workbook: the same signals over time, for whoever the alert woke up.
var charts = [
  {
    title: 'Callbacks by answer'
    query: '| where Name == "callrecord.callback.requests"\n| summarize callbacks = sum(Sum) by status = tostring(Properties.status), bin(TimeGenerated, 5m)'
  }
  {
    title: 'Callbacks refused (401) and failed (503), by reason'
    query: '| where Name == "callrecord.callback.requests" and tostring(Properties.status) in ("401", "503")\n| summarize callbacks = sum(Sum) by reason = strcat(tostring(Properties.status), " ", tostring(Properties.reason)), bin(TimeGenerated, 5m)'
  }
  {
    title: 'Acknowledgement latency of stored callbacks (ms)'
    query: '| where Name == "callrecord.callback.duration" and tostring(Properties.status) == "202"\n| summarize average = sum(Sum) / sum(ItemCount), maximum = max(Max) by bin(TimeGenerated, 5m)'
  }
  {
    title: 'Notifications: stored, redeliveries, rejected'
    query: '| where Name == "callrecord.notifications"\n| summarize notifications = sum(Sum) by outcome = tostring(Properties.outcome), bin(TimeGenerated, 5m)'
  }
  {
    title: 'Hang-ups by Graph\'s answer'
    query: '| where Name == "callrecord.hangups"\n| summarize hangups = sum(Sum) by graphStatus = tostring(Properties.graph_status), bin(TimeGenerated, 5m)'
  }
  {
    title: 'Reconciler: calls checked, closed, changed, deferred'
    query: '| where Name == "callrecord.reconciler.calls"\n| summarize calls = sum(Sum) by outcome = tostring(Properties.outcome), bin(TimeGenerated, 15m)'
  }
  {
    title: 'Reconciler runs refused by Graph'
    query: '| where Name == "callrecord.reconciler.runs"\n| summarize runs = sum(Sum) by result = tostring(Properties.result), bin(TimeGenerated, 15m)'
  }
  {
    title: 'Active calls (counted by each reconciler run)'
    query: '| where Name == "callrecord.calls.active"\n| summarize active = max(Sum) by bin(TimeGenerated, 5m)'
  }
  {
    title: 'Call-event messages: calls ended, call records available'
    query: '| where Name == "callrecord.call_events.messages"\n| summarize messages = sum(Sum) by message = strcat(tostring(Properties.type), " ", tostring(Properties.result)), bin(TimeGenerated, 5m)'
  }
  {
    title: 'Retention: deleted'
    query: '| where Name == "callrecord.purge.deleted"\n| summarize deleted = sum(Sum) by item = tostring(Properties.item), bin(TimeGenerated, 1h)'
  }
  {
    title: 'keepAlive: requests by Graph\'s answer (404 closes the call)'
    query: '| where Name == "callrecord.keepalive.requests"\n| summarize requests = sum(Sum) by graphStatus = tostring(Properties.graph_status), bin(TimeGenerated, 15m)'
  }
  {
    title: 'keepAlive runs refused by Graph'
    query: '| where Name == "callrecord.keepalive.runs"\n| summarize runs = sum(Sum) by result = tostring(Properties.result), bin(TimeGenerated, 15m)'
  }
  {
    title: 'Call records: fetches by what came of them'
    query: '| where Name == "callrecord.call_records.fetches"\n| summarize fetches = sum(Sum) by result = tostring(Properties.result), bin(TimeGenerated, 1h)'
  }
  {
    title: 'Relay: requests to the bot, by how they were sent and what became of them'
    query: '| where Name == "callrecord.relay.deliveries"\n| summarize requests = sum(Sum) by kind = strcat(tostring(Properties.attempt), " ", tostring(Properties.result)), bin(TimeGenerated, 5m)'
  }
  {
    title: 'Relay: requests by the bot\'s answer (401/403: it refuses the signature)'
    query: '| where Name == "callrecord.relay.deliveries"\n| summarize requests = sum(Sum) by botStatus = tostring(Properties.bot_status), bin(TimeGenerated, 5m)'
  }
  {
    title: 'Relay: the bot\'s answer time (ms)'
    query: '| where Name == "callrecord.relay.duration"\n| summarize average = sum(Sum) / sum(ItemCount), maximum = max(Max) by attempt = tostring(Properties.attempt), bin(TimeGenerated, 5m)'
  }
  {
    title: 'Relay: notifications delivered and dead-lettered'
    query: '| where Name == "callrecord.relay.notifications"\n| summarize notifications = sum(Sum) by outcome = tostring(Properties.outcome), bin(TimeGenerated, 5m)'
  }
  {
    title: 'Relay: calls waiting for a retry (counted by each reconciler run)'
    query: '| where Name == "callrecord.relay.backlog"\n| summarize waiting = max(Sum) by bin(TimeGenerated, 5m)'
  }
  {
    title: 'API requests refused (API_AUTH=entra), by route and reason'
    query: '| where Name == "callrecord.access.refused"\n| summarize refused = sum(Sum) by refusal = strcat(tostring(Properties.route), " ", tostring(Properties.status), " ", tostring(Properties.reason)), bin(TimeGenerated, 15m)'
  }
  {
    title: 'Function failures'
    query: '| where Name == "callrecord.function.failures"\n| summarize failures = sum(Sum) by functionName = tostring(Properties["function"]), bin(TimeGenerated, 5m)'
  }
]

var workbookContent = {
  version: 'Notebook/1.0'
  items: concat(
    [
      {
        type: 1
        name: 'about'
        content: {
          json: '## Call record\nThe app\'s own metrics (AppMetrics), the signals the alert rules watch. What each means and what to do: docs/operations.md in the repository.'
        }
      }
      {
        type: 9
        name: 'time range'
        content: {
          version: 'KqlParameterItem/1.0'
          parameters: [
            {
              id: 'time-range'
              version: 'KqlParameterItem/1.0'
              name: 'TimeRange'
              type: 4
              isRequired: true
              value: { durationMs: 86400000 }
              typeSettings: { selectableValues: [{ durationMs: 3600000 }, { durationMs: 86400000 }, { durationMs: 604800000 }] }
            }
          ]
        }
      }
    ],
    map(charts, (chart, i) => {
      type: 3
      name: 'chart ${i}'
      content: {
        version: 'KqlItem/1.0'
        title: chart.title
        query: '${appMetrics}${chart.query}\n| render timechart'
        queryType: 0
        resourceType: 'microsoft.operationalinsights/workspaces'
        timeContextFromParameter: 'TimeRange'
        visualization: 'timechart'
        size: 0
      }
    })
  )
  fallbackResourceIds: [workspaceId]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'call-record-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Call record: callbacks, relay, hang-ups, reconciler, keepAlive, call records'
    category: 'workbook'
    sourceId: workspaceId
    serializedData: string(workbookContent)
  }
}

output actionGroupId string = empty(alertEmail) ? '' : actionGroup.id
output workbookId string = workbook.id
