//! CSV import: upload a file (a plain multipart form, so it works without JavaScript), map its
//! columns to fields against a preview with each row's problems, run it in the background with a
//! progress bar, read what happened to every row, and revert the whole import.

use crate::model::states::ImportStatus;
use crate::api::imports::{RevertImport, SaveImport, load_imports_overview, load_import};
use crate::components::form::{FormError, action_error};
use crate::error::AppError;
use crate::model::imports::{IMPORT_MODES, ImportView, RESULT_FILTERS, RESULTS_PER_PAGE};
use crate::components::pager::Pager;
use crate::components::loaded::{ErrorAlert, Loaded};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "created" | "create" | "done" | "reverted" => "status status-ok",
        "updated" | "update" | "running" | "reverting" | "queued" | "revert_queued" => "status status-warn",
        "failed" | "fail" | "rejected" => "status status-bad",
        _ => "status status-off",
    }
}

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "created" => "Created",
        "updated" => "Updated",
        "skipped" => "Skipped",
        "failed" => "Failed",
        "create" => "Will create",
        "update" => "Will update",
        "skip" => "Will skip",
        "fail" => "Will fail",
        _ => "",
    }
}

/// 100000 → "100,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `/customers/import`: the upload form and the recent imports.
#[component]
pub fn ImportsPage() -> impl IntoView {
    let query = use_query_map();
    let rejected = Memo::new(move |_| query.with(|q| q.get("rejected").and_then(|v| v.parse::<i32>().ok())));
    let data = Resource::new(move || rejected.get(), load_imports_overview);
    view! {
        <Title text="Import customers"/>
        <header class="page-header">
            <p class="breadcrumb"><a href="/customers">"Customers"</a></p>
            <h1>"Import customers from a CSV file"</h1>
            <p class="lede">"Upload a file, choose which column goes into which field, check the preview, then import. Nothing is saved before you start the import, and a finished import can be reverted."</p>
        </header>
        <Loaded data render=move |o| {
            let error = o.rejected.clone();
            let has_error = error.is_some();
            let hint = format!(
                "The first line holds the column names. Comma-, semicolon- or tab-separated UTF-8 text (“CSV UTF-8” in spreadsheets), up to {} MB and {} customers.",
                o.max_megabytes, thousands(o.max_rows)
            );
            view! {
                <section class="panel" aria-labelledby="upload-title">
                    <h2 id="upload-title">"Upload a file"</h2>
                    <form method="post" action="/customers/import/upload" enctype="multipart/form-data" class="stack-form">
                        <div class="field" class:has-error=has_error>
                            <label for="field-file">"CSV file"</label>
                            <p class="field-hint" id="field-file-hint">{hint}</p>
                            <input id="field-file" type="file" name="file" accept=".csv,.tsv,.txt,text/csv" required=true
                                aria-invalid=if has_error { "true" } else { "false" }
                                aria-describedby=if has_error { "field-file-hint field-file-error" } else { "field-file-hint" }/>
                            {error.map(|m| view! { <p class="field-error" id="field-file-error" role="alert">{m}</p> })}
                        </div>
                        <div class="form-actions">
                            <button type="submit" class="button button-primary">"Upload and map columns"</button>
                        </div>
                    </form>
                    <details class="add-more">
                        <summary>"Fields a column can go into"</summary>
                        <ul class="checklist">
                            {o.targets.into_iter().map(|t| view! { <li>{t.label}</li> }).collect_view()}
                        </ul>
                        <p class="muted">"Rows whose email matches an existing customer can update it; empty cells never erase stored values."</p>
                    </details>
                </section>
                <section class="panel" aria-labelledby="recent-title">
                    <h2 id="recent-title">"Recent imports"</h2>
                    {if o.imports.is_empty() {
                        view! { <p class="empty">"No imports yet."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap">
                                <table class="data responsive">
                                    <caption class="sr-only">"Recent imports"</caption>
                                    <thead><tr>
                                        <th scope="col">"File"</th>
                                        <th scope="col">"Uploaded"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Rows"</th>
                                        <th scope="col">"Created"</th>
                                        <th scope="col">"Updated"</th>
                                        <th scope="col">"Skipped"</th>
                                        <th scope="col">"Failed"</th>
                                    </tr></thead>
                                    <tbody>
                                        {o.imports.into_iter().map(|i| {
                                            let href = format!("/customers/import/{}", i.id);
                                            let class = outcome_class(i.status.as_str());
                                            let rejected = i.status == ImportStatus::Rejected;
                                            view! {
                                                <tr>
                                                    <td data-label="File">
                                                        {if rejected {
                                                            view! { <span>{i.file_name}</span> }.into_any()
                                                        } else {
                                                            view! { <a class="row-title" href=href>{i.file_name}</a> }.into_any()
                                                        }}
                                                    </td>
                                                    <td data-label="Uploaded">{i.created_at}<span class="muted block">{i.uploaded_by}</span></td>
                                                    <td data-label="Status"><span class=class>{i.status.label()}</span></td>
                                                    <td data-label="Rows">{i.row_count}</td>
                                                    <td data-label="Created">{i.created}</td>
                                                    <td data-label="Updated">{i.updated}</td>
                                                    <td data-label="Skipped">{i.skipped}</td>
                                                    <td data-label="Failed">{i.failed}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }}
                </section>
            }.into_any()
        }/>
    }
}

/// The column mapping and mode of an import that has not started, with its preview.
#[component]
fn MappingForm(v: ImportView, save: ServerAction<SaveImport>) -> impl IntoView {
    let error = action_error(save);
    let fields_error = move |name: String| {
        Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field_error(&name))))
    };
    let mapping_error = fields_error("mapping".into());
    let mode_error = fields_error("mode".into());
    let kept = move |name: String, initial: String| {
        Signal::derive(move || {
            error
                .with(|e| e.as_ref().and_then(|e| e.value(&name)))
                .unwrap_or_else(|| initial.clone())
        })
    };
    let mode = kept("mode".into(), v.mode.clone());
    let examples: Vec<String> = (0..v.headers.len())
        .map(|i| {
            v.preview
                .iter()
                .filter_map(|r| r.cells.get(i))
                .find(|c| !c.is_empty())
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let id = v.id.to_string();
    let start_label = format!("Import {} rows", v.row_count);
    let mapped: Vec<(usize, String)> = v
        .mapping
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, _)| (i, v.headers.get(i).cloned().unwrap_or_default()))
        .collect();
    let shown = v.preview.len();
    let preview_note = format!(
        "The first {shown} of {} rows, as they would be imported with the mapping saved last. {} of them would fail.",
        v.row_count, v.preview_failures
    );
    let targets = v.targets.clone();
    view! {
        <section class="panel" aria-labelledby="mapping-title">
            <h2 id="mapping-title">"Map columns to fields"</h2>
            <FormError error=error/>
            {move || mapping_error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            {(!v.missing_required.is_empty()).then(|| view! {
                <div class="alert alert-warn" role="status">
                    {format!(
                        "No column goes into these required fields, so every new customer would fail: {}. Map a column to each, or add one to the file.",
                        v.missing_required.join(", ")
                    )}
                </div>
            })}
            <ActionForm action=save attr:class="stack-form">
                <input type="hidden" name="id" value=id/>
                <div class="table-wrap">
                    <table class="data mapping responsive">
                        <caption class="sr-only">"Which field each column of the file goes into"</caption>
                        <thead><tr>
                            <th scope="col">"Column in the file"</th>
                            <th scope="col">"Example"</th>
                            <th scope="col">"Goes into"</th>
                        </tr></thead>
                        <tbody>
                            {v.headers.iter().cloned().enumerate().map(|(i, header)| {
                                let select_id = format!("col-{i}");
                                let error_id = format!("col-{i}-error");
                                let err = fields_error(format!("col_{i}"));
                                let value = kept(format!("col_{i}"), v.mapping.get(i).cloned().unwrap_or_default());
                                let example = examples.get(i).cloned().unwrap_or_default();
                                let targets = targets.clone();
                                view! {
                                    <tr class:has-error=move || err.with(Option::is_some)>
                                        <td data-label="Column"><label class="column-name" for=select_id.clone()>{header}</label></td>
                                        <td data-label="Example" class="muted example">{example}</td>
                                        <td data-label="Goes into" class="mapping-target">
                                            <select id=select_id name=format!("columns[{i}]")
                                                aria-invalid=move || if err.with(Option::is_some) { "true" } else { "false" }
                                                aria-describedby=move || err.with(Option::is_some).then(|| error_id.clone())>
                                                <option value="" selected=move || value.with(String::is_empty)>"— Don't import —"</option>
                                                {targets.into_iter().map(|t| {
                                                    let tv = t.value.clone();
                                                    view! { <option value=t.value selected=move || value.with(|x| *x == tv)>{t.label}</option> }
                                                }).collect_view()}
                                            </select>
                                            {move || err.get().map(|m| view! { <p class="field-error" id=format!("col-{i}-error")>{m}</p> })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <fieldset class="field choice-group" class:has-error=move || mode_error.with(Option::is_some)>
                    <legend>"Customers that already exist"</legend>
                    {IMPORT_MODES.iter().map(|(key, label)| {
                        let key = *key;
                        view! {
                            <label class="check wide-check">
                                <input type="radio" name="mode" value=key checked=move || mode.with(|m| m == key)/>
                                " " {*label}
                            </label>
                        }
                    }).collect_view()}
                    {move || mode_error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </fieldset>
                <div class="form-actions">
                    <button type="submit" name="intent" value="preview" class="button">"Save mapping and update preview"</button>
                    <button type="submit" name="intent" value="start" class="button button-primary">{start_label}</button>
                </div>
            </ActionForm>
        </section>
        <section class="panel" aria-labelledby="preview-title">
            <h2 id="preview-title">"Preview"</h2>
            <p class="muted">{preview_note}</p>
            <div class="table-wrap">
                <table class="data responsive preview">
                    <caption class="sr-only">"Preview of the first rows"</caption>
                    <thead><tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"What happens"</th>
                        {mapped.iter().map(|(_, h)| view! { <th scope="col">{h.clone()}</th> }).collect_view()}
                        <th scope="col">"Problems"</th>
                    </tr></thead>
                    <tbody>
                        {v.preview.into_iter().map(|r| {
                            let class = outcome_class(&r.action);
                            let label = outcome_label(&r.action);
                            let row_class = if r.action == "fail" { "row-bad" } else { "" };
                            view! {
                                <tr class=row_class>
                                    <td data-label="Line">{r.line}</td>
                                    <td data-label="What happens"><span class=class>{label}</span></td>
                                    {mapped.iter().map(|(i, h)| {
                                        let cell = r.cells.get(*i).cloned().unwrap_or_default();
                                        view! { <td data-label=h.clone()>{cell}</td> }
                                    }).collect_view()}
                                    <td data-label="Problems" class="problems">{r.messages.join(" ")}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// The progress of a running import or revert. Without JavaScript the page reloads itself.
#[component]
fn Progress(v: ImportView) -> impl IntoView {
    let percent = v.percent();
    let reverting = v.status.is_revert();
    let text = if reverting {
        format!("Reverting: {} of {} rows undone or kept", v.reverted + v.kept, v.created + v.updated)
    } else {
        format!(
            "{} of {} rows done: {} created, {} updated, {} skipped, {} failed",
            v.processed, v.row_count, v.created, v.updated, v.skipped, v.failed
        )
    };
    view! {
        <noscript><meta http-equiv="refresh" content="2"/></noscript>
        <section class="panel" aria-labelledby="progress-title">
            <h2 id="progress-title">{v.status.label()}</h2>
            <progress class="progress" max="100" value=percent aria-labelledby="progress-title" aria-describedby="progress-text">{format!("{percent}%")}</progress>
            <p id="progress-text" role="status">{text}</p>
            <p class="muted">"This runs on the server: you can leave this page and come back."</p>
        </section>
    }
}

/// The outcome of a finished (or failed, or reverted) import: counts, revert, and the rows.
#[component]
fn Results(v: ImportView, revert: ServerAction<RevertImport>) -> impl IntoView {
    let revert_error = action_error(revert);
    let id = v.id;
    let pages = v.results_total.div_ceil(RESULTS_PER_PAGE).max(1);
    let page = use_query_map().with_untracked(|q| q.get("page").and_then(|p| p.parse::<u64>().ok())).unwrap_or(1);
    let link = move |show: &str, page: u64| format!("/customers/import/{id}?show={show}&page={page}");
    let show = v.show.clone();
    let tiles = [
        ("Created", v.created, "status-ok"),
        ("Updated", v.updated, "status-warn"),
        ("Skipped", v.skipped, "status-off"),
        ("Failed", v.failed, "status-bad"),
    ];
    let reverted = (v.status == ImportStatus::Reverted).then(|| {
        format!("Reverted: {} rows undone, {} kept because they changed after the import.", v.reverted, v.kept)
    });
    view! {
        <section class="panel" aria-labelledby="result-title">
            <h2 id="result-title">{v.status.label()}</h2>
            {v.error.clone().map(|message| view! { <ErrorAlert message/> })}
            {reverted.map(|r| view! { <div class="alert alert-info" role="status">{r}</div> })}
            <ul class="tiles">
                {tiles.into_iter().map(|(label, n, class)| view! {
                    <li class=format!("tile {class}")><span class="tile-number">{n}</span><span class="tile-label">{label}</span></li>
                }).collect_view()}
            </ul>
            <p class="muted">{format!("{} rows in the file · uploaded {}", v.row_count, v.uploaded_at)}{v.finished_at.clone().map(|f| format!(" · finished {f}"))}</p>
            {v.can_revert.then(|| view! {
                <details class="add-more">
                    <summary>"Revert this import"</summary>
                    <p>"Deletes the customers this import created and gives updated customers their earlier values back. Customers someone changed after the import are kept as they are."</p>
                    <FormError error=revert_error/>
                    <ActionForm action=revert attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string()/>
                        <button type="submit" class="button button-danger">"Revert the whole import"</button>
                    </ActionForm>
                </details>
            })}
        </section>
        <section class="panel" aria-labelledby="rows-title">
            <h2 id="rows-title">"Rows"</h2>
            <nav class="tabs" aria-label="Which rows">
                {RESULT_FILTERS.iter().map(|(key, label)| {
                    let current = *key == v.show;
                    view! { <a href=link(key, 1) class="tab" aria-current=current.then_some("page")>{*label}</a> }
                }).collect_view()}
            </nav>
            {if v.results.is_empty() {
                view! { <p class="empty">"No rows here."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data responsive">
                            <caption class="sr-only">"What happened to each row"</caption>
                            <thead><tr>
                                <th scope="col">"Line"</th>
                                <th scope="col">"Result"</th>
                                <th scope="col">"Customer"</th>
                                <th scope="col">"Why"</th>
                            </tr></thead>
                            <tbody>
                                {v.results.into_iter().map(|r| {
                                    let class = outcome_class(&r.outcome);
                                    let label = outcome_label(&r.outcome);
                                    let customer = match r.customer_id {
                                        Some(cid) if r.revert_note.as_deref() != Some("Deleted.") => view! {
                                            <a href=format!("/customers/{cid}")>{r.customer_name.clone()}</a>
                                        }.into_any(),
                                        _ => view! { <span>{r.customer_name.clone()}</span> }.into_any(),
                                    };
                                    view! {
                                        <tr>
                                            <td data-label="Line">{r.line}</td>
                                            <td data-label="Result"><span class=class>{label}</span></td>
                                            <td data-label="Customer">{customer}</td>
                                            <td data-label="Why">
                                                {r.message}
                                                {r.revert_note.map(|n| view! { <span class="muted block">"Revert: " {n}</span> })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <Pager page pages href=move |p| link(&show, p) summary=format!("{} rows · page {page} of {pages}", v.results_total)/>
        </section>
    }
}

/// `/customers/import/:id`: one import, whatever its state.
#[component]
pub fn ImportPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok())));
    let show = Memo::new(move |_| query.with(|q| q.get("show").unwrap_or_default()));
    let page = Memo::new(move |_| query.with(|q| q.get("page").and_then(|p| p.parse::<u64>().ok()).unwrap_or(1)));
    let save = ServerAction::<SaveImport>::new();
    let revert = ServerAction::<RevertImport>::new();
    // Bumped every second while the import runs, so the progress refreshes.
    let tick = RwSignal::new(0u32);
    let data = Resource::new(
        move || (id.get(), show.get(), page.get(), save.version().get(), revert.version().get(), tick.get()),
        |(id, show, page, ..)| async move {
            match id {
                Some(id) => load_import(id, show, page).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    Effect::new(move |_| {
        if data.with(|d| matches!(d, Some(Ok(v)) if v.is_busy())) {
            set_timeout(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(1));
        }
    });
    view! {
        <Loaded data loading="Loading import…" render=move |v| {
            let title = format!("Import: {}", v.file_name);
            let badge = outcome_class(v.status.as_str());
            let body = if v.is_draft() {
                view! { <MappingForm v=v.clone() save=save/> }.into_any()
            } else if v.is_busy() {
                view! { <Progress v=v.clone()/> }.into_any()
            } else {
                view! { <Results v=v.clone() revert=revert/> }.into_any()
            };
            view! {
                <Title text=title.clone()/>
                <header class="page-header">
                    <p class="breadcrumb"><a href="/customers">"Customers"</a>" › "<a href="/customers/import">"Import"</a></p>
                    <h1>{title}</h1>
                    <p class="lede"><span class=badge>{v.status.label()}</span>" " {format!("{} rows · {} columns", v.row_count, v.headers.len())}</p>
                </header>
                {body}
            }.into_any()
        }/>
    }
}
