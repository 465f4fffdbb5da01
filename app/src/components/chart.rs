//! Bar and line charts drawn on the server as SVG, readable without JavaScript: each has a
//! title and a description that screen readers announce, and the same figures as a table
//! under a "Show the figures" disclosure. Colours come from the style sheet (the CSP allows no
//! inline styles); series are told apart by marker shape and dash as well as by colour.

use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;

/// One line of a line chart: its name and a value per label (`None`: no figure there).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// The top of the value axis: the smallest 1, 2 or 5 × 10ⁿ at or above `max` (1 for nothing).
pub fn axis_top(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|top| *top >= max * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// A figure as the axis and the table show it: whole numbers plainly, others to one decimal.
pub fn figure(v: f64, unit: &str) -> String {
    let text = if (v - v.round()).abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.1}") };
    format!("{text}{unit}")
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

fn y_of(v: f64, top: f64) -> f64 {
    TOP + plot_height() * (1.0 - (v / top).clamp(0.0, 1.0))
}

/// The value axis: gridlines and figures at 0, half and the top.
fn axis(top: f64, unit: &'static str) -> impl IntoView {
    [0.0, top / 2.0, top]
        .into_iter()
        .map(|v| {
            let y = format!("{:.1}", y_of(v, top));
            view! {
                <line class="chart-grid" x1=LEFT x2=WIDTH - RIGHT y1=y.clone() y2=y.clone()/>
                <text class="chart-tick" x=LEFT - 6.0 y=y text-anchor="end" dominant-baseline="middle">{figure(v, unit)}</text>
            }
        })
        .collect_view()
}

/// The labels under the plot, at the centre of each of `n` slots (every other one when crowded).
fn labels_below(labels: &[String]) -> impl IntoView + use<> {
    let n = labels.len().max(1);
    let slot = plot_width() / n as f64;
    let every = if n > 12 { n.div_ceil(12) } else { 1 };
    labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, label)| {
            let x = format!("{:.1}", LEFT + slot * (i as f64 + 0.5));
            view! { <text class="chart-label" x=x y=HEIGHT - BOTTOM + 18.0 text-anchor="middle">{label.clone()}</text> }
        })
        .collect_view()
}

/// The figure around a chart: the SVG with its title and description, then the table.
#[component]
fn Figure(id: &'static str, title: String, description: String, table: AnyView, children: Children) -> impl IntoView {
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled = format!("{title_id} {desc_id}");
    view! {
        <figure class="chart" id=id>
            <figcaption class="chart-title">{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby=labelled preserveAspectRatio="xMidYMid meet">
                <title id=title_id>{title}</title>
                <desc id=desc_id>{description}</desc>
                {children()}
            </svg>
            <details class="chart-data">
                <summary>"Show the figures"</summary>
                {table}
            </details>
        </figure>
    }
}

/// A bar chart: one bar per label. `unit` follows each figure ("%", " days").
#[component]
pub fn BarChart(
    id: &'static str,
    #[prop(into)] title: String,
    #[prop(into)] description: String,
    labels: Vec<String>,
    values: Vec<f64>,
    #[prop(default = "")] unit: &'static str,
    /// The heading of the label column of the table.
    #[prop(default = "")]
    label_heading: &'static str,
    /// The heading of the value column of the table.
    #[prop(default = "Value")]
    value_heading: &'static str,
) -> impl IntoView {
    let top = axis_top(values.iter().copied().fold(0.0, f64::max));
    let n = labels.len().max(1);
    let slot = plot_width() / n as f64;
    let bars = labels
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, (label, v))| {
            let y = y_of(*v, top);
            let x = LEFT + slot * i as f64 + slot * 0.15;
            view! {
                <rect class="chart-bar" x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{:.1}", slot * 0.7)
                    height=format!("{:.1}", (TOP + plot_height() - y).max(0.0))>
                    <title>{format!("{label}: {}", figure(*v, unit))}</title>
                </rect>
            }
        })
        .collect_view();
    let rows = labels
        .iter()
        .zip(&values)
        .map(|(label, v)| view! { <tr><th scope="row">{label.clone()}</th><td class="num">{figure(*v, unit)}</td></tr> })
        .collect_view();
    let table = view! {
        <table class="data">
            <thead><tr><th scope="col">{label_heading}</th><th scope="col">{value_heading}</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any();
    view! {
        <Figure id title description table>
            {axis(top, unit)}
            {bars}
            {labels_below(&labels)}
        </Figure>
    }
}

/// A line chart: one line per series over the labels (weeks, say), with a legend.
#[component]
pub fn LineChart(
    id: &'static str,
    #[prop(into)] title: String,
    #[prop(into)] description: String,
    labels: Vec<String>,
    series: Vec<Series>,
    #[prop(default = "")] unit: &'static str,
    #[prop(default = "")] label_heading: &'static str,
) -> impl IntoView {
    let max = series.iter().flat_map(|s| s.values.iter().flatten()).copied().fold(0.0, f64::max);
    let top = axis_top(max);
    let n = labels.len().max(1);
    let slot = plot_width() / n as f64;
    let x_of = move |i: usize| LEFT + slot * (i as f64 + 0.5);
    let lines = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let points: Vec<(f64, f64)> = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (x_of(i), y_of(v, top))))
                .collect();
            let path = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ");
            let class = format!("chart-line chart-series-{}", k % 4);
            let marker_class = format!("chart-marker chart-series-{}", k % 4);
            let markers = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i, v)))
                .map(|(i, v)| {
                    let tip = format!("{}, {}: {}", s.name, labels.get(i).cloned().unwrap_or_default(), figure(v, unit));
                    view! {
                        <circle class=marker_class.clone() cx=format!("{:.1}", x_of(i)) cy=format!("{:.1}", y_of(v, top)) r="3.5">
                            <title>{tip}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! { <polyline class=class fill="none" points=path/> {markers} }
        })
        .collect_view();
    let legend = series
        .iter()
        .enumerate()
        .map(|(k, s)| view! { <li><span class=format!("chart-key chart-series-{}", k % 4) aria-hidden="true"></span>{s.name.clone()}</li> })
        .collect_view();
    let heads = series.iter().map(|s| view! { <th scope="col">{s.name.clone()}</th> }).collect_view();
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let cells = series
                .iter()
                .map(|s| {
                    let v = s.values.get(i).copied().flatten();
                    view! { <td class="num">{v.map_or_else(|| "—".to_string(), |v| figure(v, unit))}</td> }
                })
                .collect_view();
            view! { <tr><th scope="row">{label.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    let table = view! {
        <table class="data">
            <thead><tr><th scope="col">{label_heading}</th>{heads}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any();
    view! {
        <Figure id title description table>
            {axis(top, unit)}
            {lines}
            {labels_below(&labels)}
        </Figure>
        <ul class="chart-legend" aria-hidden="true">{legend}</ul>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_at_a_round_figure_above_the_largest_value() {
        assert_eq!(axis_top(0.0), 1.0);
        assert_eq!(axis_top(f64::NAN), 1.0);
        assert_eq!(axis_top(1.0), 1.0);
        assert_eq!(axis_top(7.0), 10.0);
        assert_eq!(axis_top(13.0), 20.0);
        assert_eq!(axis_top(42.0), 50.0);
        assert_eq!(axis_top(100.0), 100.0);
        assert_eq!(axis_top(0.3), 0.5);
        assert_eq!(figure(12.0, "%"), "12%");
        assert_eq!(figure(2.25, " days"), "2.2 days");
    }

    #[test]
    fn a_bar_chart_is_an_svg_with_its_title_description_and_the_figures_as_a_table() {
        let html = view! {
            <BarChart id="waits" title="Waiting time by step" description="Approval waits longest."
                labels=vec!["Call".into(), "<Approve>".into()] values=vec![2.0, 9.5] unit=" days"
                label_heading="Step" value_heading="Median wait"/>
        }
        .to_html();
        assert!(html.contains(r#"role="img""#) && html.contains(r#"aria-labelledby="waits-title waits-desc""#), "{html}");
        assert!(html.contains(r#"<title id="waits-title">Waiting time by step</title>"#), "{html}");
        assert!(html.contains(r#"<desc id="waits-desc">Approval waits longest.</desc>"#), "{html}");
        assert_eq!(html.matches("<rect").count(), 2);
        assert!(html.contains("&lt;Approve&gt;: 9.5 days"), "labels are text: {html}");
        assert!(!html.contains("<Approve>"));
        assert!(html.contains(r#"<th scope="row">Call</th><td class="num">2 days</td>"#), "{html}");
        assert!(html.contains(">10 days</text>"), "the axis ends at 10: {html}");
    }

    #[test]
    fn a_line_chart_draws_each_series_and_leaves_gaps_where_there_is_no_figure() {
        let html = view! {
            <LineChart id="weekly" title="Active days" description="North rises."
                labels=vec!["W1".into(), "W2".into(), "W3".into()]
                series=vec![
                    Series { name: "North".into(), values: vec![Some(1.0), Some(3.0), Some(4.0)] },
                    Series { name: "South".into(), values: vec![Some(2.0), None, Some(1.0)] },
                ]/>
        }
        .to_html();
        assert_eq!(html.matches("<polyline").count(), 2);
        assert_eq!(html.matches("<circle").count(), 5, "no marker where South has no figure");
        assert!(html.contains(r#"<th scope="row">W2</th><td class="num">3</td><td class="num">—</td>"#), "{html}");
        assert!(html.contains("chart-series-1"));
    }
}
