//! Grafana: datasource and dashboard provisioning, and one dashboard JSON per spec dashboard.

use super::grafana_json::*;
use super::{GENERATED, OutFile, to_json, to_yaml};
use crate::render::grid::{Cell, Placed};
use avspec::index::Index;
use avspec::{Dashboard, Panel, PanelType, ThresholdStyle};
use serde::Serialize;
use std::path::PathBuf;

/// Where the compose stack mounts the dashboards inside the Grafana container.
pub const DASHBOARDS_MOUNT: &str = "/var/lib/grafana/dashboards";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DatasourcesFile {
    api_version: u32,
    datasources: Vec<DatasourceProv>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DatasourceProv {
    name: String,
    uid: String,
    #[serde(rename = "type")]
    kind: String,
    access: String,
    url: String,
    is_default: bool,
    editable: bool,
    json_data: DatasourceJsonData,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DatasourceJsonData {
    time_interval: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DashboardsFile {
    api_version: u32,
    providers: Vec<Provider>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Provider {
    name: String,
    folder: String,
    #[serde(rename = "type")]
    kind: String,
    disable_deletion: bool,
    allow_ui_updates: bool,
    options: ProviderOptions,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProviderOptions {
    path: String,
}

pub fn files(index: &Index<'_>) -> Result<Vec<OutFile>, String> {
    let g = PathBuf::from(GENERATED).join("grafana");
    let spec = index.spec;
    let default = index.default_datasource().unwrap_or_default();
    let ds = DatasourcesFile {
        api_version: 1,
        datasources: spec
            .datasources
            .iter()
            .map(|d| DatasourceProv {
                name: d.name.value.clone(),
                uid: d.uid.value.clone(),
                kind: "prometheus".to_owned(),
                access: "proxy".to_owned(),
                url: d.url.value.clone(),
                is_default: d.uid.as_str() == default,
                editable: false,
                json_data: DatasourceJsonData { time_interval: spec.prometheus.scrape_interval.to_string() },
            })
            .collect(),
    };
    let dashboards = DashboardsFile {
        api_version: 1,
        providers: vec![Provider {
            name: spec.project.name.value.clone(),
            folder: "AutoVoice".to_owned(),
            kind: "file".to_owned(),
            disable_deletion: true,
            allow_ui_updates: false,
            options: ProviderOptions { path: DASHBOARDS_MOUNT.to_owned() },
        }],
    };
    let mut out = vec![
        OutFile { path: g.join("provisioning/datasources/prometheus.yml"), contents: to_yaml(&ds)? },
        OutFile {
            path: g.join(format!("provisioning/dashboards/{}.yml", spec.project.name.value)),
            contents: to_yaml(&dashboards)?,
        },
    ];
    for d in &spec.dashboards {
        out.push(OutFile {
            path: g.join(format!("dashboards/{}.json", d.uid.value)),
            contents: to_json(&dashboard(index, d))?,
        });
    }
    Ok(out)
}

pub fn dashboard(index: &Index<'_>, d: &Dashboard) -> DashboardJson {
    let default_ds = index.default_datasource().unwrap_or_default();
    let default_name = index
        .spec
        .datasources
        .iter()
        .find(|x| x.uid.as_str() == default_ds)
        .map_or_else(String::new, |x| x.name.value.clone());
    let mut variables = vec![VariableJson {
        kind: "datasource".to_owned(),
        name: "datasource".to_owned(),
        label: "Datasource".to_owned(),
        description: None,
        query: "prometheus".to_owned(),
        current: VariableOptionJson { selected: true, text: default_name, value: default_ds.to_owned() },
        options: vec![],
        hide: 0,
        skip_url_sync: false,
        refresh: Some(1),
        regex: Some(String::new()),
    }];
    for v in &d.variables {
        let selected = v.default.as_ref().map_or_else(
            || v.options.first().map(|o| o.value.value.clone()).unwrap_or_default(),
            |s| s.value.clone(),
        );
        let options: Vec<VariableOptionJson> = v
            .options
            .iter()
            .map(|o| VariableOptionJson {
                selected: o.value.value == selected,
                text: o.text.clone(),
                value: o.value.value.clone(),
            })
            .collect();
        let current = options.iter().find(|o| o.selected).cloned().unwrap_or(VariableOptionJson {
            selected: true,
            text: selected.clone(),
            value: selected.clone(),
        });
        variables.push(VariableJson {
            kind: "custom".to_owned(),
            name: v.name.value.clone(),
            label: v.label.clone(),
            description: v.description.clone(),
            // Grafana's custom-variable syntax for text/value pairs: `text : value, ...`.
            query: v
                .options
                .iter()
                .map(|o| format!("{} : {}", o.text, o.value.value))
                .collect::<Vec<_>>()
                .join(", "),
            current,
            options,
            hide: 0,
            skip_url_sync: false,
            refresh: None,
            regex: None,
        });
    }
    // The grid placement `avctl render` draws too: one layout for both.
    let mut panels = Vec::new();
    for (i, placed) in crate::render::grid::place(d).into_iter().enumerate() {
        let id = i as u32 + 1;
        panels.push(match placed {
            Placed::Row { title, cell } => PanelJson::Row(RowJson {
                kind: "row".to_owned(),
                title: title.to_owned(),
                id,
                collapsed: false,
                grid_pos: grid_pos(cell),
                panels: vec![],
            }),
            Placed::Panel { panel: p, cell } => {
                PanelJson::Panel(Box::new(panel(index, p, id, grid_pos(cell))))
            }
        });
    }
    DashboardJson {
        annotations: Annotations {
            list: vec![AnnotationQuery {
                built_in: 1,
                datasource: DatasourceRef { kind: "grafana".to_owned(), uid: "-- Grafana --".to_owned() },
                enable: true,
                hide: true,
                icon_color: "rgba(0, 211, 255, 1)".to_owned(),
                name: "Annotations & Alerts".to_owned(),
                kind: "dashboard".to_owned(),
            }],
        },
        description: d.description.clone().unwrap_or_default(),
        editable: false,
        fiscal_year_start_month: 0,
        graph_tooltip: 1,
        links: vec![],
        panels,
        refresh: d.refresh.to_string(),
        schema_version: SCHEMA_VERSION,
        tags: d.tags.clone(),
        templating: Templating { list: variables },
        time: TimeRange { from: format!("now-{}", d.time_range.value), to: "now".to_owned() },
        timepicker: serde_json::Map::new(),
        timezone: "browser".to_owned(),
        title: d.title.value.clone(),
        uid: d.uid.value.clone(),
        version: 1,
    }
}

fn panel(index: &Index<'_>, p: &Panel, id: u32, grid_pos: GridPos) -> VizJson {
    // Panels follow the dashboard's $datasource variable unless they name another datasource.
    let uid = match &p.datasource {
        Some(ds) if Some(ds.as_str()) != index.default_datasource() => ds.value.clone(),
        _ => "${datasource}".to_owned(),
    };
    let datasource = DatasourceRef { kind: "prometheus".to_owned(), uid };
    let mut steps = vec![Step { color: p.base_color.clone(), value: None }];
    steps.extend(p.thresholds.iter().map(|t| Step { color: t.color.clone(), value: Some(t.value.value) }));
    let s = |v: &str| v.to_owned();
    let (custom, options) = match p.kind.value {
        PanelType::Timeseries => {
            let style = match (p.threshold_style, p.thresholds.is_empty()) {
                (_, true) => "off",
                (None | Some(ThresholdStyle::Line), false) => "line",
                (Some(ThresholdStyle::Area), false) => "area",
                (Some(ThresholdStyle::LineAndArea), false) => "line+area",
            };
            (
                CustomFieldConfig::Timeseries(TimeseriesCustom {
                    draw_style: s("line"),
                    fill_opacity: p.fill_opacity.as_ref().map_or(0, |f| f.value),
                    line_width: 1,
                    show_points: s("never"),
                    span_nulls: false,
                    thresholds_style: ThresholdsStyle { mode: s(style) },
                }),
                PanelOptions::Timeseries(TimeseriesOptions {
                    legend: Legend {
                        calcs: vec![],
                        display_mode: s("list"),
                        placement: s("bottom"),
                        show_legend: true,
                    },
                    tooltip: Tooltip { mode: s("multi"), sort: s("desc") },
                }),
            )
        }
        PanelType::Stat => (
            CustomFieldConfig::None {},
            PanelOptions::Stat(StatOptions {
                color_mode: s("value"),
                graph_mode: s("area"),
                justify_mode: s("auto"),
                orientation: s("auto"),
                reduce_options: ReduceOptions::last(),
                show_percent_change: false,
                text_mode: s("auto"),
                wide_layout: true,
            }),
        ),
        PanelType::Gauge => (
            CustomFieldConfig::None {},
            PanelOptions::Gauge(GaugeOptions {
                min_viz_height: 75,
                min_viz_width: 75,
                orientation: s("auto"),
                reduce_options: ReduceOptions::last(),
                show_threshold_labels: false,
                show_threshold_markers: true,
                sizing: s("auto"),
            }),
        ),
    };
    let instant_panel = p.kind.value != PanelType::Timeseries;
    VizJson {
        kind: p.kind.value.as_str().to_owned(),
        title: p.title.value.clone(),
        id,
        description: p.description.clone(),
        datasource: datasource.clone(),
        grid_pos,
        targets: p
            .queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let instant = q.instant || instant_panel;
                TargetJson {
                    datasource: datasource.clone(),
                    editor_mode: "code".to_owned(),
                    expr: q.expr.value.clone(),
                    instant,
                    legend_format: q.legend.clone().unwrap_or_else(|| "__auto".to_owned()),
                    range: !instant,
                    ref_id: ref_id(i),
                }
            })
            .collect(),
        field_config: FieldConfigSource {
            defaults: FieldDefaults {
                color: FieldColor {
                    mode: if p.kind.value == PanelType::Timeseries {
                        "palette-classic"
                    } else {
                        "thresholds"
                    }
                    .to_owned(),
                },
                custom,
                decimals: p.decimals,
                max: p.max.as_ref().map(|m| m.value),
                min: p.min.as_ref().map(|m| m.value),
                thresholds: Thresholds { mode: "absolute".to_owned(), steps },
                unit: p.unit.as_ref().map_or_else(|| "short".to_owned(), |u| u.value.clone()),
            },
            overrides: vec![],
        },
        options,
    }
}

fn grid_pos(c: Cell) -> GridPos {
    GridPos { h: c.h, w: c.w, x: c.x, y: c.y }
}

/// Query reference ids: A..Z, then AA, AB, ...
fn ref_id(i: usize) -> String {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if i < 26 {
        char::from(letters[i]).to_string()
    } else {
        format!("{}{}", char::from(letters[(i / 26 - 1) % 26]), char::from(letters[i % 26]))
    }
}
