//! The registry of diagnostic codes: each with what it checks and why (`avctl validate --explain`).
//! Every code is a constant of `code`, made by the same macro as the table, so an emitting
//! site can only name a code that exists and has an explanation (the compiler checks it).

use serde::Serialize;

/// A diagnostic code, such as `naming/counter-suffix`. Only the constants in [`code`] exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(&'static str);

impl Code {
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.0
    }
}

impl std::ops::Deref for Code {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

/// One diagnostic code and its explanation.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub code: Code,
    pub summary: &'static str,
    pub why: &'static str,
}

macro_rules! codes {
    ($($name:ident = $code:literal: $summary:literal, $why:literal;)*) => {
        /// Every diagnostic code, by name.
        pub mod code {
            use super::Code;
            $(
                #[doc = $summary]
                pub const $name: Code = Code($code);
            )*
        }

        /// Every code any check can emit. Tests assert each has a fixture and an explanation.
        pub const CODES: &[CodeInfo] = &[$(CodeInfo { code: code::$name, summary: $summary, why: $why }),*];
    };
}

codes! {
    SPEC_IO = "spec/io":
        "A spec file or directory cannot be read.",
        "Nothing can be checked or generated without the spec.";
    OVERLAY_UNKNOWN_JOB = "overlay/unknown-job":
        "An overlay changes a scrape job the spec does not define.",
        "An overlay that silently matched nothing would leave the environment on the base settings.";
    OVERLAY_UNKNOWN_ALERT = "overlay/unknown-alert":
        "An overlay changes an alert the spec does not define.",
        "A renamed alert would otherwise keep its production `for` in the environment the overlay is for.";
    OVERLAY_UNKNOWN_RECEIVER = "overlay/unknown-receiver":
        "An overlay changes a receiver the spec does not define, or routing the spec does not have.",
        "The environment would keep sending alerts to the production receivers it meant to replace.";
    OVERLAY_UNSET_VARIABLE = "overlay/unset-variable":
        "An overlay target uses `${VAR}` and VAR is not set (and has no `:-default`).",
        "Generating a config with an empty or literal `${VAR}` target would scrape nothing.";
    LIVE_MISSING_METRIC = "live/missing-metric":
        "`check-live`: a declared family is not exposed by the target.",
        "Dashboards and alerts built on it would show no data, or never fire.";
    LIVE_ABSENT_REQUIREMENT = "live/absent-requirement":
        "`check-live`: a family that needs hardware (`requires: gpu`) is not exposed.",
        "Expected on machines without it; reported so the coverage is honest.";
    LIVE_UNDECLARED_METRIC = "live/undeclared-metric":
        "`check-live`: the target exposes a family the spec does not declare.",
        "Undeclared metrics escape validation, docs and cardinality budgets (exporters: a note).";
    LIVE_TYPE_DRIFT = "live/type-drift":
        "`check-live`: a family's TYPE differs from the spec.",
        "rate() on a gauge or quantiles on a counter give wrong answers without an error.";
    LIVE_HELP_DRIFT = "live/help-drift":
        "`check-live`: a family's HELP text differs from the spec.",
        "The docs and the exposed metadata disagree; one of them is stale.";
    LIVE_BUCKET_DRIFT = "live/bucket-drift":
        "`check-live`: a histogram's bucket bounds differ from the spec.",
        "Latency SLOs and quantiles are computed at the declared bounds; other bounds change them.";
    LIVE_UNDECLARED_LABEL = "live/undeclared-label":
        "`check-live`: a series carries a label the spec does not list for its metric.",
        "Queries and aggregations in the spec do not account for it; cardinality grows unseen.";
    LIVE_MISSING_LABEL = "live/missing-label":
        "`check-live`: a series lacks a label its metric declares.",
        "Selectors and `by (...)` clauses on that label silently drop or merge the series.";
    LIVE_LABEL_VALUE_OUT_OF_DOMAIN = "live/label-value-out-of-domain":
        "`check-live`: a label value outside the label's declared values.",
        "Dashboards and alerts filter on declared values; others fall through the cracks.";
    LIVE_CARDINALITY_EXCEEDED = "live/cardinality-exceeded":
        "`check-live`: a family exposes more series than its labels' domains allow.",
        "The cardinality budget is computed from the domains; more series means it is wrong.";
    SPEC_YAML_SYNTAX = "spec/yaml-syntax":
        "The file is not valid YAML.",
        "The parser stops at the first syntax error in a file; fix it to see the rest.";
    SPEC_UNKNOWN_FIELD = "spec/unknown-field":
        "A key the spec format does not define.",
        "Unknown keys are usually typos; silently ignoring them would drop configuration.";
    SPEC_DUPLICATE_KEY = "spec/duplicate-key":
        "A key appears twice in one mapping.",
        "YAML parsers disagree on which value wins; the spec rejects the ambiguity.";
    SPEC_MISSING_FIELD = "spec/missing-field":
        "A required key is absent.",
        "Every item needs its identifying and descriptive fields to generate correct output.";
    SPEC_INVALID_VALUE = "spec/invalid-value":
        "A value outside the allowed set or range.",
        "Enumerations (types, units, severities) and ranges are closed so output is well-formed.";
    SPEC_INVALID_TYPE = "spec/invalid-type":
        "A value of the wrong YAML type (a list where a string is expected, ...).",
        "The generators need typed values.";
    SPEC_INVALID_DURATION = "spec/invalid-duration":
        "A duration not in Prometheus syntax.",
        "Durations are copied into Prometheus and Grafana files, which accept only `1h30m`-style values.";
    SPEC_MISSING_SECTION = "spec/missing-section":
        "No file defines a required section (project, prometheus, stack).",
        "The generators need them to write a complete stack.";
    SPEC_DUPLICATE_SECTION = "spec/duplicate-section":
        "A singleton section is defined in two files.",
        "One of them would silently win.";
    SPEC_DUPLICATE_ID = "spec/duplicate-id":
        "Two items of one kind share an identifier.",
        "Names key metrics, alerts, panels and files; duplicates collide in the output.";
    SPEC_EMPTY_HELP = "spec/empty-help":
        "A metric without help text.",
        "HELP is shown by Prometheus and in the generated reference; an empty one helps nobody.";
    SPEC_HISTOGRAM_WITHOUT_BUCKETS = "spec/histogram-without-buckets":
        "A histogram with no bucket bounds.",
        "Quantiles and latency SLOs are computed from the buckets; choose them deliberately.";
    SPEC_BUCKETS_ON_NON_HISTOGRAM = "spec/buckets-on-non-histogram":
        "Buckets on a metric that is not a histogram.",
        "They would be ignored; the type is probably wrong.";
    SPEC_BUCKET_NOT_FINITE = "spec/bucket-not-finite":
        "A bucket bound that is infinite or NaN.",
        "`+Inf` is implicit; other bounds must be finite numbers.";
    SPEC_BUCKETS_NOT_INCREASING = "spec/buckets-not-increasing":
        "Bucket bounds not strictly increasing.",
        "Client libraries reject such histograms and cumulative counts would be wrong.";
    SPEC_EMPTY_DOMAIN = "spec/empty-domain":
        "A label value domain that admits no values.",
        "A label with no possible value cannot be used.";
    SPEC_DUPLICATE_DOMAIN_VALUE = "spec/duplicate-domain-value":
        "A value listed twice in a label domain.",
        "It inflates cardinality estimates and hides typos.";
    SPEC_INVALID_SIZE = "spec/invalid-size":
        "A retention size not in Prometheus syntax.",
        "Prometheus fails to start on an invalid `--storage.tsdb.retention.size`.";
    SPEC_TIMEOUT_EXCEEDS_INTERVAL = "spec/timeout-exceeds-interval":
        "A scrape timeout longer than the scrape interval.",
        "Prometheus refuses such a configuration.";
    SPEC_INVALID_TARGET = "spec/invalid-target":
        "A scrape target that is not `host:port`, or a bad metrics path.",
        "Prometheus would reject the job or scrape nothing.";
    SPEC_OBJECTIVE_OUT_OF_RANGE = "spec/objective-out-of-range":
        "An SLO objective outside (0, 100).",
        "Objectives are percentages of good events; 100 leaves no error budget.";
    SPEC_THRESHOLDS_NOT_INCREASING = "spec/thresholds-not-increasing":
        "Panel threshold steps not strictly increasing.",
        "Grafana evaluates steps in order; an out-of-order step is never reached.";
    SPEC_MIN_NOT_BELOW_MAX = "spec/min-not-below-max":
        "A panel whose max is not above its min.",
        "The axis or gauge would be empty.";
    SPEC_PANEL_WITHOUT_QUERY = "spec/panel-without-query":
        "A panel with no query.",
        "It would always show no data.";
    SPEC_MULTIPLE_DEFAULTS = "spec/multiple-defaults":
        "More than one default datasource.",
        "Grafana accepts only one.";
    SPEC_MULTIPLE_ROLES = "spec/multiple-roles":
        "Two compose services with the same wired role.",
        "The generator mounts config into exactly one Prometheus, Grafana and app service.";
    SPEC_UNKNOWN_CODE = "spec/unknown-code":
        "An `allow` entry naming a code that does not exist.",
        "The suppression would silence nothing; it is probably misspelled.";
    SPEC_ALLOW_WITHOUT_REASON = "spec/allow-without-reason":
        "An `allow` entry without a real reason.",
        "Suppressions are reviewed; the reason is the review.";
    NAMING_INVALID_METRIC_NAME = "naming/invalid-metric-name":
        "A metric name Prometheus does not accept, or an application metric with `:`.",
        "Invalid names break exposition; colons are reserved for recording rules.";
    NAMING_INVALID_LABEL_NAME = "naming/invalid-label-name":
        "A label name Prometheus does not accept or one starting with `__`.",
        "Invalid names break exposition; `__` names are internal.";
    NAMING_RESERVED_LABEL = "naming/reserved-label":
        "A label Prometheus adds itself (`le`, `quantile`, `__*`).",
        "Declaring it clashes with the series Prometheus builds.";
    NAMING_COUNTER_SUFFIX = "naming/counter-suffix":
        "A counter whose name does not end in `_total`.",
        "Prometheus naming conventions and OpenMetrics require it; queries rely on it.";
    NAMING_TOTAL_SUFFIX = "naming/total-suffix":
        "A non-counter whose name ends in `_total`.",
        "Readers and linters assume `_total` means a counter and `rate()` it.";
    NAMING_NON_BASE_UNIT = "naming/non-base-unit":
        "A name or unit in a non-base unit (milliseconds, megabytes, ...).",
        "Prometheus records base units (seconds, bytes) so queries and dashboards agree.";
    NAMING_UNIT_SUFFIX = "naming/unit-suffix":
        "A metric whose name lacks its unit's suffix.",
        "The unit belongs in the name (`_seconds`, `_bytes`) so a query shows what it measures.";
    NAMING_RECORDING_RULE_NAME = "naming/recording-rule-name":
        "A recording rule not named `level:metric:operations`.",
        "The convention tells derived series from raw ones at a glance.";
    NAMING_ALERT_NAME = "naming/alert-name":
        "An alert name that is not CamelCase.",
        "Alert names are CamelCase by convention; routing rules match them.";
    REF_UNKNOWN_LABEL = "ref/unknown-label":
        "A metric uses a label not declared under `labels:`.",
        "Every label needs a declared domain for cardinality and value checks.";
    REF_UNKNOWN_DATASOURCE = "ref/unknown-datasource":
        "A panel or alert names a datasource that is not declared.",
        "Grafana would show an error instead of data.";
    REF_NO_DATASOURCE = "ref/no-datasource":
        "The spec declares no datasource.",
        "Dashboards and alerts need one to query.";
    REF_UNKNOWN_SLO = "ref/unknown-slo":
        "A reference to an SLO that is not declared.",
        "Threshold consistency cannot be checked against a missing SLO.";
    REF_UNKNOWN_SOURCE = "ref/unknown-source":
        "A scrape job names an unknown metric source.",
        "Queries are checked against the metrics of the source each job scrapes.";
    REF_UNKNOWN_SERVICE = "ref/unknown-service":
        "A reference to a compose service that is not declared.",
        "docker-compose would refuse the file.";
    REF_UNKNOWN_METRIC = "ref/unknown-metric":
        "A reference to a metric that is not declared.",
        "The query or SLO would return nothing.";
    REF_NOT_A_HISTOGRAM = "ref/not-a-histogram":
        "A latency SLO over a metric that is not a histogram.",
        "Latency SLOs count observations under a bucket bound.";
    REF_UNKNOWN_VARIABLE_OPTION = "ref/unknown-variable-option":
        "A variable default that is not one of its options.",
        "Grafana would start the dashboard on a value no option selects.";
    GRAFANA_SCHEMA = "grafana/schema":
        "A generated dashboard violates Grafana's dashboard or panel JSON Schema.",
        "Grafana would reject or silently drop the invalid parts.";
    GRAFANA_UNKNOWN_PANEL_TYPE = "grafana/unknown-panel-type":
        "A panel type without a known schema.",
        "Grafana accepts any string as a type, so typos only show up as broken panels.";
    GRAFANA_SCHEMAS_MISSING = "grafana/schemas-missing":
        "No Grafana JSON Schemas were found, so the generated dashboards were not checked against them.",
        "A dashboard Grafana rejects fails only when it is loaded; a check that silently did not run would look like a pass.";
    GRAFANA_UNKNOWN_UNIT = "grafana/unknown-unit":
        "A panel unit that is not a Grafana unit id.",
        "Grafana shows raw numbers for unknown units; the axis loses its meaning.";
    PROMQL_PARSE_ERROR = "promql/parse-error":
        "An expression that does not parse as PromQL (after Grafana variables are substituted).",
        "Prometheus would refuse the rule file; Grafana would show an error instead of data.";
    PROMQL_UNKNOWN_METRIC = "promql/unknown-metric":
        "A selector names a metric the spec does not declare.",
        "The query returns nothing, silently: a dashboard shows \"No data\" and an alert never fires.";
    PROMQL_UNKNOWN_LABEL = "promql/unknown-label":
        "A matcher or grouping (`by`, `without`, `on`, `ignoring`, `label_replace`) uses a label the series does not carry.",
        "Matching on a missing label selects nothing or collapses series; the typo goes unnoticed.";
    PROMQL_LABEL_VALUE_OUT_OF_DOMAIN = "promql/label-value-out-of-domain":
        "A label value (or regex alternative) outside the label's declared domain.",
        "`success=\"flase\"` matches no series; the alert it guards can never fire.";
    PROMQL_LE_NOT_A_BUCKET = "promql/le-not-a-bucket":
        "An `le` matcher on a bound that is not one of the histogram's buckets.",
        "No such bucket series exists; the query is empty.";
    PROMQL_RATE_ON_NON_COUNTER = "promql/rate-on-non-counter":
        "`rate`, `irate` or `increase` over a gauge or a whole histogram.",
        "These functions assume monotonic counters; on gauges they return nonsense at every decrease.";
    PROMQL_QUANTILE_NOT_BUCKET = "promql/quantile-not-bucket":
        "`histogram_quantile` over series that are not `_bucket` series.",
        "Quantiles are estimated from cumulative buckets; other input gives meaningless results.";
    PROMQL_QUANTILE_WITHOUT_LE = "promql/quantile-without-le":
        "`histogram_quantile` input aggregated without keeping `le`.",
        "Without `le` the buckets are summed together and the quantile is NaN.";
    PROMQL_RANGE_TOO_SHORT = "promql/range-too-short":
        "A range window shorter than two scrape intervals of the series.",
        "`rate` needs at least two samples in the window; shorter windows return gaps.";
    PROMQL_PERCENT_VS_RATIO = "promql/percent-vs-ratio":
        "A 0-100 percentage compared with a 0-1 number, or the reverse, per the metric's unit.",
        "A threshold in the wrong scale fires always or never.";
    LINT_LATENCY_NOT_HISTOGRAM = "lint/latency-not-histogram":
        "A latency metric recorded as a gauge or summary.",
        "The guide: use histograms for latency; summaries and gauges cannot be aggregated across instances.";
    LINT_HIGH_CARDINALITY_LABEL = "lint/high-cardinality-label":
        "A label that identifies events (request_id, user_id, timestamp) or has an unbounded or huge domain; with the metric's worst-case series.",
        "Each value is a new series; memory and query cost grow without bound.";
    LINT_NO_CARDINALITY_BUDGET = "lint/no-cardinality-budget":
        "The project sets no cardinality budget.",
        "Without a budget, label growth is only noticed when Prometheus runs out of memory.";
    LINT_CARDINALITY_BUDGET = "lint/cardinality-budget":
        "The application's worst-case series per target exceed the budget.",
        "The budget is the agreed capacity; exceeding it needs a decision, not an accident.";
    LINT_ALERT_MISSING_FOR = "lint/alert-missing-for":
        "An alert without a `for` duration.",
        "The guide: use `for` to avoid flapping alerts.";
    LINT_ALERT_MISSING_SEVERITY = "lint/alert-missing-severity":
        "An alert without a severity label.",
        "Alertmanager routes on severity; without it the alert may reach no one.";
    LINT_ALERT_MISSING_ANNOTATION = "lint/alert-missing-annotation":
        "An alert without a summary or description.",
        "Responders read these first; the guide requires both.";
    LINT_ALERT_MISSING_RUNBOOK = "lint/alert-missing-runbook":
        "An alert without runbook content (its runbook link would lead nowhere).",
        "The guide: include runbook links in alert annotations.";
    LINT_ALERT_SLO_INCONSISTENT = "lint/alert-slo-inconsistent":
        "An alert guarding an SLO whose threshold or quantile disagrees with the SLO.",
        "An alert looser than its SLO lets the SLO burn unseen; a tighter one pages while the SLO is met.";
    LINT_BUCKET_MISSING_SLO_THRESHOLD = "lint/bucket-missing-slo-threshold":
        "A latency SLO threshold that is not a bucket bound of its histogram.",
        "The SLI is then interpolated between buckets and the SLO is measured wrong.";
    LINT_PANEL_MISSING_SLO_THRESHOLD = "lint/panel-missing-slo-threshold":
        "A panel that shows an SLO but not its threshold.",
        "The guide: include threshold lines for SLOs.";
    LINT_LATENCY_PANEL_WITHOUT_SLO = "lint/latency-panel-without-slo":
        "A latency panel over an SLO-covered histogram that does not show the SLO.",
        "Readers cannot see at a glance whether latency is within the objective.";
    LINT_UNUSED_METRIC = "lint/unused-metric":
        "A declared metric used by no panel, alert, SLO or recording rule (warning for the application, note for exporters).",
        "Unused metrics cost series and attention; chart or drop them.";
    KUBERNETES_PDB_BLOCKS_EVICTION = "kubernetes/pdb-blocks-eviction":
        "A PodDisruptionBudget whose `min_available` is not below the fewest replicas the daemon runs with.",
        "No replica may be evicted, so node drains and cluster upgrades wait forever.";
    PROMETHEUS_REMOTE_WRITE_MIXES_CLUSTERS = "prometheus/remote-write-mixes-clusters":
        "Remote write without the cluster label among the external labels (an error when `cluster_label` is set, a warning when no external label is set at all).",
        "Every cluster's series land in the same store: without the label they merge, so sums double and one cluster's outage hides behind another's traffic.";
    PROMQL_MIXES_CLUSTERS = "promql/mixes-clusters":
        "With `prometheus.cluster_label` set, an alert or recording rule that aggregates the cluster label away.",
        "Where clusters meet (a global ruler, Thanos, Mimir) the result sums every cluster: one cluster's errors are diluted by the others' traffic, and one page stands for all.";
    PROMQL_DOUBLE_COUNTS_REPLICAS = "promql/double-counts-replicas":
        "A `sum` or `count` across instances of a metric declared `shared` (every replica reports the same value).",
        "Each replica reports the shared state once, so the sum is the state times the replica count; use `max` or `avg`.";
    ROUTING_INVALID_MATCHER = "routing/invalid-matcher":
        "A route or inhibition matcher that Alertmanager cannot parse.",
        "Alertmanager refuses the whole configuration, so no alert reaches anyone.";
    ROUTING_UNKNOWN_RECEIVER = "routing/unknown-receiver":
        "A route, alert or SLO names a receiver that `alertmanager.receivers` does not define.",
        "Alertmanager refuses a route to an undefined receiver; a stated receiver that does not exist cannot be checked.";
    ROUTING_UNKNOWN_LABEL = "routing/unknown-label":
        "A matcher, `group_by`, `equal` or `incident_labels` entry names a label no alert carries.",
        "A matcher on a missing label compares the empty string: a typo silently matches nothing (or everything, for `!=`).";
    ROUTING_RECEIVER_WITHOUT_INTEGRATION = "routing/receiver-without-integration":
        "A receiver with no webhook, email, Slack or PagerDuty integration.",
        "Alerts routed there are accepted and dropped without a trace.";
    ROUTING_DEFAULT_ONLY = "routing/default-only":
        "An alert that states its receivers but that only the root route's default receiver catches.",
        "No route matches it: a typo in a matcher or a label the alert does not carry sends it to the catch-all.";
    ROUTING_MISROUTED = "routing/misrouted":
        "An alert whose receivers under the route tree differ from the receivers it states.",
        "The route tree, not the alert, decides who is told; this is where they disagree.";
    ROUTING_UNREACHABLE_ROUTE = "routing/unreachable-route":
        "A route no alert can reach: a matcher value outside the label's domain, or an earlier sibling without `continue` that takes every alert it would match.",
        "Dead routes look like coverage in review and hide the typo that made them dead.";
    ROUTING_PAGE_WITHOUT_PAGER = "routing/page-without-pager":
        "A page-severity alert (critical, or an SLO's page tier) that reaches no receiver that pages.",
        "The alert fires and nobody is woken up: the failure monitoring is there to prevent.";
    ROUTING_INHIBIT_ACROSS_INCIDENTS = "routing/inhibit-across-incidents":
        "An inhibition rule whose `equal` misses an incident label both its source and target alerts carry.",
        "Then one incident's critical alert mutes another incident's warning (another SLO, another instance).";
    ROUTING_SECRET_OUTSIDE_MOUNT = "routing/secret-outside-mount":
        "A receiver's secret file outside `/run/secrets/alertmanager`, the folder the compose stack mounts into its Alertmanager (from `./secrets/alertmanager`).",
        "The file does not exist in the container: Alertmanager starts, and every notification through that receiver fails.";
    ROUTING_REPEAT_BEFORE_GROUP = "routing/repeat-before-group":
        "A route whose `repeat_interval` is shorter than its `group_interval`.",
        "Notifications are only sent at group intervals, so the repeat interval cannot be honoured and misleads.";
}

/// The explanation of `code`, if it exists.
pub fn explain(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}
