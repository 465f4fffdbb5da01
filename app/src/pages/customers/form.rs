//! Creating and editing a customer. The browser checks what HTML can; the server checks all
//! of it, flags a duplicate email or a near-identical name with a link to the other customer,
//! and sends the form back with the user's input kept.

use crate::model::states::CustomerKind;
use crate::api::crm::{CreateCustomer, UpdateCustomer, load_customer_form};
use crate::components::form::{
    Field, FormError, SelectField, TextAreaField, action_error, field_error, kept_value,
};
use crate::error::AppError;
use crate::model::crm::{
    CustomInput, CustomerForm, CustomerFormOptions, custom_name,
};
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The fields of the customer form, filled from `initial` or from what the user typed.
#[component]
fn CustomerFields(options: CustomerFormOptions, error: Signal<Option<AppError>>) -> impl IntoView {
    let initial = options.current.clone().unwrap_or_else(|| CustomerForm {
        kind: "organisation".into(),
        stage: options
            .stages
            .first()
            .map(|s| s.value.clone())
            .unwrap_or_default(),
        owner_id: options.me.to_string(),
        ..Default::default()
    });
    let value = move |field: &'static str, init: &str| kept_value(error, field, init.to_string());
    let duplicate = Signal::derive(move || {
        error.with(|e| {
            e.as_ref().and_then(|e| {
                Some((e.value("duplicate_id")?, e.value("duplicate_name")?))
            })
        })
    });
    let similar_name = Signal::derive(move || error.with(|e| e.as_ref().is_some_and(|e| e.field_error("name").is_some() && e.value("duplicate_id").is_some())));
    let kinds = CustomerKind::choices();
    view! {
        <FormError error=error/>
        {move || duplicate.get().map(|(id, name)| view! {
            <p class="alert alert-warn">
                "Possible duplicate: "
                <a href=format!("/customers/{id}")>{format!("open {name}")}</a>
                " to check before saving."
            </p>
        })}
        <div class="form-grid">
            <SelectField label="Kind" name="kind" choices=kinds
                value=value("kind", &initial.kind) error=field_error(error, "kind")/>
            <Field label="Name" name="name" required=true maxlength=200 autofocus=true
                value=value("name", &initial.name) error=field_error(error, "name")/>
            {move || similar_name.get().then(|| view! {
                <label class="check wide">
                    <input type="checkbox" name="different" value="1"/>
                    " This is a different customer: save anyway"
                </label>
            })}
            <Field label="Email" name="email" kind="email" maxlength=254 autocomplete="off"
                value=value("email", &initial.email) error=field_error(error, "email")/>
            <Field label="Phone" name="phone" kind="tel" maxlength=32 autocomplete="off"
                value=value("phone", &initial.phone) error=field_error(error, "phone")/>
            <SelectField label="Lifecycle stage" name="stage" choices=options.stages.clone()
                value=value("stage", &initial.stage) error=field_error(error, "stage")/>
            <SelectField label="Owner" name="owner_id" choices=options.owners.clone()
                hint="The owner keeps the record current; the customer belongs to the owner's team."
                value=value("owner_id", &initial.owner_id) error=field_error(error, "owner_id")/>
            <Field label="Tags" name="tags" maxlength=900 list="tag-options"
                hint="Separate tags with commas, e.g. vip, referral."
                value=value("tags", &initial.tags) error=field_error(error, "tags")/>
        </div>
        <datalist id="tag-options">
            {options.tags.into_iter().map(|t| view! { <option value=t/> }).collect_view()}
        </datalist>
        <TextAreaField label="Notes" name="notes" maxlength=5000 rows=4
            value=value("notes", &initial.notes) error=field_error(error, "notes")/>
        {(!options.custom_fields.is_empty()).then(|| {
            let stored = initial.custom.clone();
            view! {
                <fieldset class="custom-fields">
                    <legend>"More details"</legend>
                    <div class="form-grid">
                        {options.custom_fields.into_iter().map(|input| {
                            let initial = stored.get(&input.key).cloned().unwrap_or_default();
                            view! { <CustomInputField input=input error=error initial=initial/> }
                        }).collect_view()}
                    </div>
                </fieldset>
            }
        })}
    }
}

/// One admin-defined field: the input its type calls for, or its value read-only when the
/// viewer's role does not keep it.
#[component]
fn CustomInputField(input: CustomInput, error: Signal<Option<AppError>>, initial: String) -> impl IntoView {
    let key = custom_name(&input.key);
    let id = format!("field-{key}");
    let name = format!("custom[{}]", input.key);
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let message = {
        let key = key.clone();
        Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field_error(&key))))
    };
    let value = {
        let key = key.clone();
        Signal::derive(move || {
            error
                .with(|e| e.as_ref().and_then(|e| e.value(&key)))
                .unwrap_or_else(|| initial.clone())
        })
    };
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            if message.with(Option::is_some) { format!("{hint_id} {error_id}") } else { hint_id.clone() }
        }
    };
    let invalid = move || if message.with(Option::is_some) { "true" } else { "false" };
    let label = if input.required && input.editable { format!("{} (required)", input.label) } else { input.label.clone() };
    let control = if !input.editable {
        view! { <input id=id.clone() readonly=true value=move || value.get() aria-describedby=described/> }.into_any()
    } else {
        match input.field_type.as_str() {
            "choice" => view! {
                <select id=id.clone() name=name required=input.required aria-invalid=invalid aria-describedby=described>
                    <option value="">"—"</option>
                    {input.options.into_iter().map(|o| {
                        let selected = { let o = o.clone(); move || value.with(|v| v == &o) };
                        view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                    }).collect_view()}
                </select>
            }.into_any(),
            kind => {
                let html_type = match kind { "number" => "number", "date" => "date", _ => "text" };
                view! {
                    <input id=id.clone() name=name type=html_type required=input.required
                        step=(kind == "number").then_some("any")
                        min=input.min_value.map(|m| m.to_string()) max=input.max_value.map(|m| m.to_string())
                        maxlength=(kind == "text").then_some("500")
                        value=move || value.get() aria-invalid=invalid aria-describedby=described/>
                }.into_any()
            }
        }
    };
    let hint = if input.editable { input.hint.clone() } else { format!("{} You can see it; they change it.", input.hint) };
    view! {
        <div class="field" class:has-error=move || message.with(Option::is_some)>
            <label for=id>{label}</label>
            <p class="field-hint" id=hint_id>{hint}</p>
            {control}
            {move || message.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

#[component]
pub fn NewCustomerPage() -> impl IntoView {
    let create = ServerAction::<CreateCustomer>::new();
    let error = action_error(create);
    let options = Resource::new(|| (), |_| load_customer_form(None));
    view! {
        <Title text="New customer"/>
        <header class="page-header">
            <p class="breadcrumb"><a href="/customers">"Customers"</a></p>
            <h1>"New customer"</h1>
        </header>
        <Loaded data=options render=move |options| view! {
            <ActionForm action=create attr:class="panel">
                <CustomerFields options=options error=error/>
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Create customer"</button>
                    <a class="button button-quiet" href="/customers">"Cancel"</a>
                </div>
            </ActionForm>
        }.into_any()/>
    }
}

#[component]
pub fn EditCustomerPage() -> impl IntoView {
    let update = ServerAction::<UpdateCustomer>::new();
    let error = action_error(update);
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok())));
    let options = Resource::new(move || id.get(), |id| async move {
        let Some(id) = id else { return Err(AppError::NotFound) };
        match load_customer_form(Some(id)).await {
            Ok(options) => Ok((id, options)),
            Err(AppError::Forbidden) => Err(AppError::Conflict(
                "Only the owner, their team's manager or an admin can edit this customer.".into(),
            )),
            Err(e) => Err(e),
        }
    });
    view! {
        <Title text="Edit customer"/>
        <Loaded data=options render=move |(id, options)| {
            let name = options.current.as_ref().map(|c| c.name.clone()).unwrap_or_default();
            view! {
                <header class="page-header">
                    <p class="breadcrumb"><a href="/customers">"Customers"</a>" / "<a href=format!("/customers/{id}")>{name.clone()}</a></p>
                    <h1>"Edit " {name}</h1>
                </header>
                <ActionForm action=update attr:class="panel">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <CustomerFields options=options error=error/>
                    <div class="form-actions">
                        <button type="submit" class="button button-primary">"Save changes"</button>
                        <a class="button button-quiet" href=format!("/customers/{id}")>"Cancel"</a>
                    </div>
                </ActionForm>
            }
        }/>
    }
}
