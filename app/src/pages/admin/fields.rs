//! Custom fields: admins define what else the business needs to know about a customer, who
//! keeps it current and how long a value stays true.

use crate::api::admin::{CreateField, SetFieldActive, UpdateField, list_fields};
use crate::components::form::{
    Field, FormError, SelectField, TextAreaField, action_error, field_error, kept_value,
};
use crate::error::AppError;
use crate::model::crm::{
    Choice, CustomFieldForm, CustomFieldView, FIELD_TYPES, choices_of, label_of,
};
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn owner_choices() -> Vec<Choice> {
    choices_of(&[("member", "Members (the customer's owner)"), ("manager", "Managers"), ("admin", "Admins")])
}

fn owner_label(role: &str) -> &'static str {
    match role {
        "admin" => "admins",
        "manager" => "managers",
        _ => "members",
    }
}

/// The inputs of a definition; `creating` adds the key and type, which cannot change later.
#[component]
fn DefinitionFields(initial: CustomFieldForm, error: Signal<Option<AppError>>, creating: bool) -> impl IntoView {
    let value = move |field: &'static str, init: &str| kept_value(error, field, init.to_string());
    // After a rejected no-JS post the checkbox comes back as typed; otherwise as stored.
    let required = {
        let stored = initial.required;
        move || error.with(|e| match e.as_ref().and_then(|e| e.value("label")) {
            Some(_) => e.as_ref().and_then(|e| e.value("required")).is_some_and(|v| !v.is_empty()),
            None => stored,
        })
    };
    let types = choices_of(&FIELD_TYPES);
    view! {
        <FormError error=error/>
        <div class="form-grid">
            <Field label="Label" name="label" required=true maxlength=80 autofocus=true
                hint="What people see on the customer page, e.g. Contract renewal date."
                value=value("label", &initial.label) error=field_error(error, "label")/>
            {creating.then(|| view! {
                <Field label="Key" name="key" maxlength=40
                    hint="For imports and the API. Leave empty to make one from the label."
                    value=value("key", &initial.key) error=field_error(error, "key")/>
                <SelectField label="Type" name="field_type" choices=types
                    value=value("field_type", &initial.field_type) error=field_error(error, "field_type")/>
            })}
            <SelectField label="Kept current by" name="owner_role" choices=owner_choices()
                hint="Who fills it in and re-confirms it when it goes stale."
                value=value("owner_role", &initial.owner_role) error=field_error(error, "owner_role")/>
            <Field label="Fresh for (days)" name="freshness_days" kind="number"
                hint="After this many days a value is stale until re-confirmed. Empty: never stale."
                value=value("freshness_days", &initial.freshness_days) error=field_error(error, "freshness_days")/>
        </div>
        <label class="check">
            <input type="checkbox" name="required" value="1" checked=required/>
            " Required: counts towards each customer's data quality, and must be filled when saving"
        </label>
        <fieldset class="custom-fields">
            <legend>"Validation"</legend>
            <p class="muted">"Only what applies to the type is used."</p>
            <TextAreaField label="Options (choice: one per line)" name="options" rows=3 maxlength=4000
                value=value("options", &initial.options) error=field_error(error, "options")/>
            <div class="form-grid">
                <Field label="Minimum (number)" name="min_value"
                    value=value("min_value", &initial.min_value) error=field_error(error, "min_value")/>
                <Field label="Maximum (number)" name="max_value"
                    value=value("max_value", &initial.max_value) error=field_error(error, "max_value")/>
                <Field label="Pattern (text)" name="pattern" maxlength=200
                    hint="A regular expression the whole value must match, e.g. [A-Z]{2}-[0-9]{5}."
                    value=value("pattern", &initial.pattern) error=field_error(error, "pattern")/>
                <Field label="Example (with a pattern)" name="pattern_example" maxlength=80
                    hint="A value that fits the pattern, e.g. AB-12345. People see it as the field's hint and when a value does not fit, never the pattern."
                    value=value("pattern_example", &initial.pattern_example) error=field_error(error, "pattern_example")/>
            </div>
        </fieldset>
    }
}

#[component]
pub fn FieldsPage() -> impl IntoView {
    let toggle = ServerAction::<SetFieldActive>::new();
    let data = Resource::new(move || toggle.version().get(), |_| list_fields());
    view! {
        <Title text="Custom fields"/>
        <header class="page-header with-actions">
            <div>
                <h1>"Custom fields"</h1>
                <p class="lede">"What else your team needs to know about a customer, who keeps it current, and for how long a value stays true."</p>
            </div>
            <a class="button button-primary" href="/admin/fields/new">"New field"</a>
        </header>
        <FormError error=action_error(toggle)/>
        <Loaded data render=move |value| {
            match value {
                list if list.is_empty() => view! {
                    <p class="panel empty">"No custom fields yet. Add the first one: a renewal date, a segment, an account number…"</p>
                }.into_any(),
                list => view! {
                    <div class="field-list">
                        {list.into_iter().map(|f| view! { <FieldCard f=f toggle=toggle/> }).collect_view()}
                    </div>
                }.into_any(),
            }
        }/>
    }
}

#[component]
fn FieldCard(f: CustomFieldView, toggle: ServerAction<SetFieldActive>) -> impl IntoView {
    let d = f.form.clone();
    let title_id = format!("field-title-{}", f.id);
    let labelled_by = title_id.clone();
    let mut rules = vec![label_of(&FIELD_TYPES, &d.field_type)];
    if d.required {
        rules.push("required".into());
    }
    if d.field_type == "choice" {
        rules.push(format!("options: {}", d.options.lines().collect::<Vec<_>>().join(", ")));
    }
    match (d.min_value.as_str(), d.max_value.as_str()) {
        ("", "") => {}
        (a, "") => rules.push(format!("at least {a}")),
        ("", b) => rules.push(format!("at most {b}")),
        (a, b) => rules.push(format!("{a} to {b}")),
    }
    if !d.pattern.is_empty() {
        rules.push(match d.pattern_example.as_str() {
            "" => format!("pattern {} (no example yet: edit the field to add one)", d.pattern),
            example => format!("pattern {}, like {example}", d.pattern),
        });
    }
    let freshness = match d.freshness_days.as_str() {
        "" => "Never goes stale".to_string(),
        days => format!("Fresh for {days} days"),
    };
    let usage = format!("{} customers have a value; {} stale", f.filled, f.stale);
    let edit = format!("/admin/fields/{}", f.id);
    let toggle_label = if f.active { format!("Retire {}", d.label) } else { format!("Restore {}", d.label) };
    view! {
        <article class="panel" class:retired=!f.active aria-labelledby=labelled_by>
            <div class="field-summary">
                <h2 id=title_id>{d.label.clone()}</h2>
                <code>{d.key.clone()}</code>
                {(!f.active).then_some(view! { <span class="status status-off">"Retired"</span> })}
            </div>
            <p>{rules.join(" · ")}</p>
            <p class="muted">{format!("Kept current by {} · {freshness} · {usage}", owner_label(&d.owner_role))}</p>
            <div class="form-actions">
                <a class="button" href=edit>"Edit"</a>
                <ActionForm action=toggle attr:class="inline-form">
                    <input type="hidden" name="id" value=f.id.to_string()/>
                    <input type="hidden" name="active" value=(!f.active).to_string()/>
                    <button type="submit" class="button button-quiet" aria-label=toggle_label>
                        {if f.active { "Retire" } else { "Restore" }}
                    </button>
                </ActionForm>
            </div>
        </article>
    }
}

#[component]
pub fn NewFieldPage() -> impl IntoView {
    let create = ServerAction::<CreateField>::new();
    let error = action_error(create);
    let initial = CustomFieldForm {
        field_type: "text".into(),
        owner_role: "member".into(),
        ..Default::default()
    };
    view! {
        <Title text="New custom field"/>
        <header class="page-header">
            <p class="breadcrumb"><a href="/admin/fields">"Custom fields"</a></p>
            <h1>"New custom field"</h1>
        </header>
        <ActionForm action=create attr:class="panel">
            <DefinitionFields initial=initial error=error creating=true/>
            <div class="form-actions">
                <button type="submit" class="button button-primary">"Create field"</button>
                <a class="button button-quiet" href="/admin/fields">"Cancel"</a>
            </div>
        </ActionForm>
    }
}

#[component]
pub fn EditFieldPage() -> impl IntoView {
    let update = ServerAction::<UpdateField>::new();
    let error = action_error(update);
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok())));
    let data = Resource::new(move || id.get(), |id| async move {
        list_fields().await?.into_iter().find(|f| Some(f.id) == id).ok_or(AppError::NotFound)
    });
    view! {
        <Title text="Edit custom field"/>
        <Loaded data render=move |f| view! {
            <header class="page-header">
                <p class="breadcrumb"><a href="/admin/fields">"Custom fields"</a></p>
                <h1>{format!("Edit {}", f.form.label)}</h1>
                <p class="lede">{format!("Key {} · {}. The key and type stay as created.", f.form.key, label_of(&FIELD_TYPES, &f.form.field_type))}</p>
            </header>
            <ActionForm action=update attr:class="panel">
                <input type="hidden" name="id" value=f.id.to_string()/>
                <DefinitionFields initial=f.form.clone() error=error creating=false/>
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Save field"</button>
                    <a class="button button-quiet" href="/admin/fields">"Cancel"</a>
                </div>
            </ActionForm>
        }/>
    }
}
