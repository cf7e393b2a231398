//! The registry of diagnostic codes: each with what it checks and why (`avctl validate --explain`).

/// One diagnostic code and its explanation.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub code: &'static str,
    pub summary: &'static str,
    pub why: &'static str,
}

const fn c(code: &'static str, summary: &'static str, why: &'static str) -> CodeInfo {
    CodeInfo { code, summary, why }
}

/// Every code any check can emit. Tests assert each has a fixture and an explanation.
pub const CODES: &[CodeInfo] = &[
    c(
        "spec/io",
        "A spec file or directory cannot be read.",
        "Nothing can be checked or generated without the spec.",
    ),
    c(
        "overlay/unknown-job",
        "An overlay changes a scrape job the spec does not define.",
        "An overlay that silently matched nothing would leave the environment on the base settings.",
    ),
    c(
        "overlay/unknown-alert",
        "An overlay changes an alert the spec does not define.",
        "A renamed alert would otherwise keep its production `for` in the environment the overlay is for.",
    ),
    c(
        "overlay/unset-variable",
        "An overlay target uses `${VAR}` and VAR is not set (and has no `:-default`).",
        "Generating a config with an empty or literal `${VAR}` target would scrape nothing.",
    ),
    c(
        "live/missing-metric",
        "`check-live`: a declared family is not exposed by the target.",
        "Dashboards and alerts built on it would show no data, or never fire.",
    ),
    c(
        "live/absent-requirement",
        "`check-live`: a family that needs hardware (`requires: gpu`) is not exposed.",
        "Expected on machines without it; reported so the coverage is honest.",
    ),
    c(
        "live/undeclared-metric",
        "`check-live`: the target exposes a family the spec does not declare.",
        "Undeclared metrics escape validation, docs and cardinality budgets (exporters: a note).",
    ),
    c(
        "live/type-drift",
        "`check-live`: a family's TYPE differs from the spec.",
        "rate() on a gauge or quantiles on a counter give wrong answers without an error.",
    ),
    c(
        "live/help-drift",
        "`check-live`: a family's HELP text differs from the spec.",
        "The docs and the exposed metadata disagree; one of them is stale.",
    ),
    c(
        "live/bucket-drift",
        "`check-live`: a histogram's bucket bounds differ from the spec.",
        "Latency SLOs and quantiles are computed at the declared bounds; other bounds change them.",
    ),
    c(
        "live/undeclared-label",
        "`check-live`: a series carries a label the spec does not list for its metric.",
        "Queries and aggregations in the spec do not account for it; cardinality grows unseen.",
    ),
    c(
        "live/missing-label",
        "`check-live`: a series lacks a label its metric declares.",
        "Selectors and `by (...)` clauses on that label silently drop or merge the series.",
    ),
    c(
        "live/label-value-out-of-domain",
        "`check-live`: a label value outside the label's declared values.",
        "Dashboards and alerts filter on declared values; others fall through the cracks.",
    ),
    c(
        "live/cardinality-exceeded",
        "`check-live`: a family exposes more series than its labels' domains allow.",
        "The cardinality budget is computed from the domains; more series means it is wrong.",
    ),
    c(
        "spec/yaml-syntax",
        "The file is not valid YAML.",
        "The parser stops at the first syntax error in a file; fix it to see the rest.",
    ),
    c(
        "spec/unknown-field",
        "A key the spec format does not define.",
        "Unknown keys are usually typos; silently ignoring them would drop configuration.",
    ),
    c(
        "spec/duplicate-key",
        "A key appears twice in one mapping.",
        "YAML parsers disagree on which value wins; the spec rejects the ambiguity.",
    ),
    c(
        "spec/missing-field",
        "A required key is absent.",
        "Every item needs its identifying and descriptive fields to generate correct output.",
    ),
    c(
        "spec/invalid-value",
        "A value outside the allowed set or range.",
        "Enumerations (types, units, severities) and ranges are closed so output is well-formed.",
    ),
    c(
        "spec/invalid-type",
        "A value of the wrong YAML type (a list where a string is expected, ...).",
        "The generators need typed values.",
    ),
    c(
        "spec/invalid-duration",
        "A duration not in Prometheus syntax.",
        "Durations are copied into Prometheus and Grafana files, which accept only `1h30m`-style values.",
    ),
    c(
        "spec/missing-section",
        "No file defines a required section (project, prometheus, stack).",
        "The generators need them to write a complete stack.",
    ),
    c(
        "spec/duplicate-section",
        "A singleton section is defined in two files.",
        "One of them would silently win.",
    ),
    c(
        "spec/duplicate-id",
        "Two items of one kind share an identifier.",
        "Names key metrics, alerts, panels and files; duplicates collide in the output.",
    ),
    c(
        "spec/empty-help",
        "A metric without help text.",
        "HELP is shown by Prometheus and in the generated reference; an empty one helps nobody.",
    ),
    c(
        "spec/histogram-without-buckets",
        "A histogram with no bucket bounds.",
        "Quantiles and latency SLOs are computed from the buckets; choose them deliberately.",
    ),
    c(
        "spec/buckets-on-non-histogram",
        "Buckets on a metric that is not a histogram.",
        "They would be ignored; the type is probably wrong.",
    ),
    c(
        "spec/bucket-not-finite",
        "A bucket bound that is infinite or NaN.",
        "`+Inf` is implicit; other bounds must be finite numbers.",
    ),
    c(
        "spec/buckets-not-increasing",
        "Bucket bounds not strictly increasing.",
        "Client libraries reject such histograms and cumulative counts would be wrong.",
    ),
    c(
        "spec/empty-domain",
        "A label value domain that admits no values.",
        "A label with no possible value cannot be used.",
    ),
    c(
        "spec/duplicate-domain-value",
        "A value listed twice in a label domain.",
        "It inflates cardinality estimates and hides typos.",
    ),
    c(
        "spec/invalid-size",
        "A retention size not in Prometheus syntax.",
        "Prometheus fails to start on an invalid `--storage.tsdb.retention.size`.",
    ),
    c(
        "spec/timeout-exceeds-interval",
        "A scrape timeout longer than the scrape interval.",
        "Prometheus refuses such a configuration.",
    ),
    c(
        "spec/invalid-target",
        "A scrape target that is not `host:port`, or a bad metrics path.",
        "Prometheus would reject the job or scrape nothing.",
    ),
    c(
        "spec/objective-out-of-range",
        "An SLO objective outside (0, 100).",
        "Objectives are percentages of good events; 100 leaves no error budget.",
    ),
    c(
        "spec/thresholds-not-increasing",
        "Panel threshold steps not strictly increasing.",
        "Grafana evaluates steps in order; an out-of-order step is never reached.",
    ),
    c(
        "spec/min-not-below-max",
        "A panel whose max is not above its min.",
        "The axis or gauge would be empty.",
    ),
    c("spec/panel-without-query", "A panel with no query.", "It would always show no data."),
    c("spec/multiple-defaults", "More than one default datasource.", "Grafana accepts only one."),
    c(
        "spec/multiple-roles",
        "Two compose services with the same wired role.",
        "The generator mounts config into exactly one Prometheus, Grafana and app service.",
    ),
    c(
        "spec/unknown-code",
        "An `allow` entry naming a code that does not exist.",
        "The suppression would silence nothing; it is probably misspelled.",
    ),
    c(
        "spec/allow-without-reason",
        "An `allow` entry without a real reason.",
        "Suppressions are reviewed; the reason is the review.",
    ),
    c(
        "naming/invalid-metric-name",
        "A metric name Prometheus does not accept, or an application metric with `:`.",
        "Invalid names break exposition; colons are reserved for recording rules.",
    ),
    c(
        "naming/invalid-label-name",
        "A label name Prometheus does not accept or one starting with `__`.",
        "Invalid names break exposition; `__` names are internal.",
    ),
    c(
        "naming/reserved-label",
        "A label Prometheus adds itself (`le`, `quantile`, `__*`).",
        "Declaring it clashes with the series Prometheus builds.",
    ),
    c(
        "naming/counter-suffix",
        "A counter whose name does not end in `_total`.",
        "Prometheus naming conventions and OpenMetrics require it; queries rely on it.",
    ),
    c(
        "naming/total-suffix",
        "A non-counter whose name ends in `_total`.",
        "Readers and linters assume `_total` means a counter and `rate()` it.",
    ),
    c(
        "naming/non-base-unit",
        "A name or unit in a non-base unit (milliseconds, megabytes, ...).",
        "Prometheus records base units (seconds, bytes) so queries and dashboards agree.",
    ),
    c(
        "naming/unit-suffix",
        "A metric whose name lacks its unit's suffix.",
        "The unit belongs in the name (`_seconds`, `_bytes`) so a query shows what it measures.",
    ),
    c(
        "naming/recording-rule-name",
        "A recording rule not named `level:metric:operations`.",
        "The convention tells derived series from raw ones at a glance.",
    ),
    c(
        "naming/alert-name",
        "An alert name that is not CamelCase.",
        "Alert names are CamelCase by convention; routing rules match them.",
    ),
    c(
        "ref/unknown-label",
        "A metric uses a label not declared under `labels:`.",
        "Every label needs a declared domain for cardinality and value checks.",
    ),
    c(
        "ref/unknown-datasource",
        "A panel or alert names a datasource that is not declared.",
        "Grafana would show an error instead of data.",
    ),
    c("ref/no-datasource", "The spec declares no datasource.", "Dashboards and alerts need one to query."),
    c(
        "ref/unknown-slo",
        "A reference to an SLO that is not declared.",
        "Threshold consistency cannot be checked against a missing SLO.",
    ),
    c(
        "ref/unknown-source",
        "A scrape job names an unknown metric source.",
        "Queries are checked against the metrics of the source each job scrapes.",
    ),
    c(
        "ref/unknown-service",
        "A reference to a compose service that is not declared.",
        "docker-compose would refuse the file.",
    ),
    c(
        "ref/unknown-metric",
        "A reference to a metric that is not declared.",
        "The query or SLO would return nothing.",
    ),
    c(
        "ref/not-a-histogram",
        "A latency SLO over a metric that is not a histogram.",
        "Latency SLOs count observations under a bucket bound.",
    ),
    c(
        "ref/unknown-variable-option",
        "A variable default that is not one of its options.",
        "Grafana would start the dashboard on a value no option selects.",
    ),
    c(
        "grafana/schema",
        "A generated dashboard violates Grafana's dashboard or panel JSON Schema.",
        "Grafana would reject or silently drop the invalid parts.",
    ),
    c(
        "grafana/unknown-panel-type",
        "A panel type without a known schema.",
        "Grafana accepts any string as a type, so typos only show up as broken panels.",
    ),
    c(
        "grafana/unknown-unit",
        "A panel unit that is not a Grafana unit id.",
        "Grafana shows raw numbers for unknown units; the axis loses its meaning.",
    ),
    c(
        "promql/parse-error",
        "An expression that does not parse as PromQL (after Grafana variables are substituted).",
        "Prometheus would refuse the rule file; Grafana would show an error instead of data.",
    ),
    c(
        "promql/unknown-metric",
        "A selector names a metric the spec does not declare.",
        "The query returns nothing, silently: a dashboard shows \"No data\" and an alert never fires.",
    ),
    c(
        "promql/unknown-label",
        "A matcher or grouping (`by`, `without`, `on`, `ignoring`, `label_replace`) uses a label the series does not carry.",
        "Matching on a missing label selects nothing or collapses series; the typo goes unnoticed.",
    ),
    c(
        "promql/label-value-out-of-domain",
        "A label value (or regex alternative) outside the label's declared domain.",
        "`success=\"flase\"` matches no series; the alert it guards can never fire.",
    ),
    c(
        "promql/le-not-a-bucket",
        "An `le` matcher on a bound that is not one of the histogram's buckets.",
        "No such bucket series exists; the query is empty.",
    ),
    c(
        "promql/rate-on-non-counter",
        "`rate`, `irate` or `increase` over a gauge or a whole histogram.",
        "These functions assume monotonic counters; on gauges they return nonsense at every decrease.",
    ),
    c(
        "promql/quantile-not-bucket",
        "`histogram_quantile` over series that are not `_bucket` series.",
        "Quantiles are estimated from cumulative buckets; other input gives meaningless results.",
    ),
    c(
        "promql/quantile-without-le",
        "`histogram_quantile` input aggregated without keeping `le`.",
        "Without `le` the buckets are summed together and the quantile is NaN.",
    ),
    c(
        "promql/range-too-short",
        "A range window shorter than two scrape intervals of the series.",
        "`rate` needs at least two samples in the window; shorter windows return gaps.",
    ),
    c(
        "promql/percent-vs-ratio",
        "A 0-100 percentage compared with a 0-1 number, or the reverse, per the metric's unit.",
        "A threshold in the wrong scale fires always or never.",
    ),
    c(
        "lint/latency-not-histogram",
        "A latency metric recorded as a gauge or summary.",
        "The guide: use histograms for latency; summaries and gauges cannot be aggregated across instances.",
    ),
    c(
        "lint/high-cardinality-label",
        "A label that identifies events (request_id, user_id, timestamp) or has an unbounded or huge domain; with the metric's worst-case series.",
        "Each value is a new series; memory and query cost grow without bound.",
    ),
    c(
        "lint/no-cardinality-budget",
        "The project sets no cardinality budget.",
        "Without a budget, label growth is only noticed when Prometheus runs out of memory.",
    ),
    c(
        "lint/cardinality-budget",
        "The application's worst-case series per target exceed the budget.",
        "The budget is the agreed capacity; exceeding it needs a decision, not an accident.",
    ),
    c(
        "lint/alert-missing-for",
        "An alert without a `for` duration.",
        "The guide: use `for` to avoid flapping alerts.",
    ),
    c(
        "lint/alert-missing-severity",
        "An alert without a severity label.",
        "Alertmanager routes on severity; without it the alert may reach no one.",
    ),
    c(
        "lint/alert-missing-annotation",
        "An alert without a summary or description.",
        "Responders read these first; the guide requires both.",
    ),
    c(
        "lint/alert-missing-runbook",
        "An alert without runbook content (its runbook link would lead nowhere).",
        "The guide: include runbook links in alert annotations.",
    ),
    c(
        "lint/alert-slo-inconsistent",
        "An alert guarding an SLO whose threshold or quantile disagrees with the SLO.",
        "An alert looser than its SLO lets the SLO burn unseen; a tighter one pages while the SLO is met.",
    ),
    c(
        "lint/bucket-missing-slo-threshold",
        "A latency SLO threshold that is not a bucket bound of its histogram.",
        "The SLI is then interpolated between buckets and the SLO is measured wrong.",
    ),
    c(
        "lint/panel-missing-slo-threshold",
        "A panel that shows an SLO but not its threshold.",
        "The guide: include threshold lines for SLOs.",
    ),
    c(
        "lint/latency-panel-without-slo",
        "A latency panel over an SLO-covered histogram that does not show the SLO.",
        "Readers cannot see at a glance whether latency is within the objective.",
    ),
    c(
        "lint/unused-metric",
        "A declared metric used by no panel, alert, SLO or recording rule (warning for the application, note for exporters).",
        "Unused metrics cost series and attention; chart or drop them.",
    ),
];

/// The explanation of `code`, if it exists.
pub fn explain(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}
