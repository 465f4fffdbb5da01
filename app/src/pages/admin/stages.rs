//! Lifecycle stages: the ordered steps a customer moves through (prospect … closed). Admins
//! add, rename, reorder and remove the unused ones.

use crate::api::admin::{CreateStage, MoveStage, RemoveStage, RenameStage, list_stages};
use crate::components::form::{Field, FormError, action_error, field_error, kept_value};
use crate::error::AppError;
use crate::model::admin::StageView;
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct StageActions {
    rename: ServerAction<RenameStage>,
    shift: ServerAction<MoveStage>,
    remove: ServerAction<RemoveStage>,
}

#[component]
fn StageRow(s: StageView, index: usize, count: usize, actions: StageActions) -> impl IntoView {
    let rename_error = action_error(actions.rename);
    let remove_error = action_error(actions.remove);
    let sid = s.id.to_string();
    let mine = {
        let sid = sid.clone();
        move |e: &AppError| e.value("stage_id").as_deref() == Some(sid.as_str())
    };
    let mine2 = mine.clone();
    let message = Signal::derive(move || {
        rename_error
            .get()
            .filter(|e| mine(e))
            .and_then(|e| e.field_error("label"))
            .or_else(|| remove_error.get().filter(|e| mine2(e)).and_then(|e| e.field_error("stage")))
    });
    let input_id = format!("stage-label-{}", s.id);
    let error_id = format!("stage-error-{}", s.id);
    let label_text = format!("Name of stage {}", index + 1);
    let typed = {
        let sid = sid.clone();
        let label = s.label.clone();
        move || {
            rename_error
                .get()
                .filter(|e| e.value("stage_id").as_deref() == Some(sid.as_str()))
                .and_then(|e| e.value("label"))
                .unwrap_or_else(|| label.clone())
        }
    };
    let customers_link = format!("/customers?stage={}", crate::model::crm::encode(&s.key));
    let customers_text = match s.customers {
        0 => "No customers".to_string(),
        1 => "1 customer".to_string(),
        n => format!("{n} customers"),
    };
    let (up_label, down_label, remove_label) = (
        format!("Move {} earlier", s.label),
        format!("Move {} later", s.label),
        format!("Remove {}", s.label),
    );
    let (sid1, sid2, sid3, sid4) = (sid.clone(), sid.clone(), sid.clone(), sid);
    let error_id2 = error_id.clone();
    view! {
        <li class="stage-row">
            <span class="stage-number" aria-hidden="true">{index + 1}</span>
            <ActionForm action=actions.rename attr:class="row-form stage-rename">
                <input type="hidden" name="id" value=sid1/>
                <label class="sr-only" for=input_id.clone()>{label_text}</label>
                <input id=input_id name="label" required=true maxlength="40" value=typed
                    aria-invalid=move || message.with(Option::is_some).to_string()
                    aria-describedby=error_id.clone()/>
                <button type="submit" class="button">"Rename"</button>
            </ActionForm>
            <a class="stage-count" href=customers_link>{customers_text}</a>
            <div class="stage-actions">
                <ActionForm action=actions.shift attr:class="inline-form">
                    <input type="hidden" name="id" value=sid2/>
                    <input type="hidden" name="direction" value="up"/>
                    <button type="submit" class="button button-icon" aria-label=up_label disabled=index == 0>"↑"</button>
                </ActionForm>
                <ActionForm action=actions.shift attr:class="inline-form">
                    <input type="hidden" name="id" value=sid3/>
                    <input type="hidden" name="direction" value="down"/>
                    <button type="submit" class="button button-icon" aria-label=down_label disabled=index + 1 == count>"↓"</button>
                </ActionForm>
                <ActionForm action=actions.remove attr:class="inline-form">
                    <input type="hidden" name="id" value=sid4/>
                    <button type="submit" class="button button-quiet" aria-label=remove_label>"Remove"</button>
                </ActionForm>
            </div>
            <p class="field-error wide" id=error_id2 role="alert">{move || message.get()}</p>
        </li>
    }
}

#[component]
pub fn StagesPage() -> impl IntoView {
    let create = ServerAction::<CreateStage>::new();
    let actions = StageActions {
        rename: ServerAction::<RenameStage>::new(),
        shift: ServerAction::<MoveStage>::new(),
        remove: ServerAction::<RemoveStage>::new(),
    };
    let data = Resource::new(
        move || {
            (
                create.version().get(),
                actions.rename.version().get(),
                actions.shift.version().get(),
                actions.remove.version().get(),
            )
        },
        |_| list_stages(),
    );
    let cerr = action_error(create);
    view! {
        <Title text="Lifecycle stages"/>
        <header class="page-header">
            <h1>"Lifecycle stages"</h1>
            <p class="lede">"The stages a customer moves through, in order. Lists filter by them and processes can start when a customer enters one."</p>
        </header>
        <Loaded data render=move |stages| {
            let count = stages.len();
            view! {
                <section class="panel" aria-labelledby="stages-title">
                    <h2 id="stages-title">{format!("{count} stages, first to last")}</h2>
                    <ol class="stage-list">
                        {stages.into_iter().enumerate().map(|(i, s)| view! { <StageRow s=s index=i count=count actions=actions/> }).collect_view()}
                    </ol>
                </section>
            }.into_any()
        }/>
        <section class="panel" aria-labelledby="new-stage-title">
            <h2 id="new-stage-title">"Add a stage"</h2>
            <ActionForm action=create attr:class="row-form align-end">
                <FormError error=cerr/>
                <Field label="Stage name" name="label" required=true maxlength=40
                    hint="Added at the end; move it into place afterwards."
                    value=kept_value(cerr, "label", String::new()) error=field_error(cerr, "label")/>
                <button type="submit" class="button button-primary">"Add stage"</button>
            </ActionForm>
        </section>
    }
}
