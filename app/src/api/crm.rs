//! Customer, interaction and follow-up server functions, under `/api/crm/`. Each loads the
//! caller as an `Actor`; the services check access per customer.

use crate::error::AppError;
use crate::model::paging::Paged;
use crate::model::crm::{
    CustomerDetail, CustomerFormOptions, CustomerList, CustomerQuery, FollowUpView,
};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use crate::server::auth::Caller;

#[server(prefix = "/api", endpoint = "crm/list_customers")]
pub async fn list_customers(#[server(default)] query: CustomerQuery) -> Result<CustomerList, AppError> {
    use crate::server::services::crm::customers;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    customers::list(caller.db(), &actor, &query).await
}

/// What the new or edit form offers; with `id`, the customer's stored values too.
#[server(prefix = "/api", endpoint = "crm/load_customer_form")]
pub async fn load_customer_form(id: Option<i32>) -> Result<CustomerFormOptions, AppError> {
    use crate::server::services::{platform::access, crm::customers};
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    let current = match id {
        Some(id) => {
            let c = access::editable_customer(caller.db(), &actor, id).await?;
            Some(customers::form_of(caller.db(), &c).await?)
        }
        None => None,
    };
    Ok(CustomerFormOptions {
        stages: customers::stage_choices(caller.db()).await?,
        owners: customers::owner_choices(caller.db(), &actor).await?,
        tags: customers::tags_in_use(caller.db(), &actor).await?,
        current,
        custom_fields: crate::server::services::crm::fields::inputs(
            &actor,
            &crate::server::services::crm::fields::active(caller.db()).await?,
        ),
        me: actor.id,
    })
}

/// Creates a customer, then opens it. `different` is the "this is a different customer" box
/// that lets a near-identical name through.
#[server(prefix = "/api", endpoint = "crm/create_customer")]
pub async fn create_customer(
    #[server(flatten)] form: crate::model::crm::CustomerForm,
    different: Option<String>,
) -> Result<i32, AppError> {
    use crate::server::services::crm::customers;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    let created = customers::create(caller.db(), &actor, &form, different.is_some())
        .await
        .map_err(|e| e.with_values(form.values()))?;
    leptos_axum::redirect(&format!("/customers/{}", created.id));
    Ok(created.id)
}

#[server(prefix = "/api", endpoint = "crm/update_customer")]
pub async fn update_customer(
    id: i32,
    #[server(flatten)] form: crate::model::crm::CustomerForm,
    different: Option<String>,
) -> Result<i32, AppError> {
    use crate::server::services::crm::customers;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    customers::update(caller.db(), &actor, id, &form, different.is_some())
        .await
        .map_err(|e| e.with_values(form.values()))?;
    leptos_axum::redirect(&format!("/customers/{id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "crm/get_customer")]
pub async fn get_customer(id: i32) -> Result<CustomerDetail, AppError> {
    use crate::server::services::crm::timeline;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    timeline::detail(caller.db(), &actor, id).await
}

#[server(prefix = "/api", endpoint = "crm/log_interaction")]
pub async fn log_interaction(
    customer_id: i32,
    kind: String,
    occurred_at: String,
    summary: String,
    outcome: String,
) -> Result<(), AppError> {
    use crate::server::services::crm::timeline;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    timeline::log_interaction(
        caller.db(),
        &actor,
        &timeline::NewInteraction {
            customer_id,
            kind: &kind,
            occurred_at: &occurred_at,
            summary: &summary,
            outcome: &outcome,
        },
    )
    .await
    .map_err(|e| {
        e.with_values([
            ("kind", kind.clone()),
            ("occurred_at", occurred_at.clone()),
            ("summary", summary.clone()),
            ("outcome", outcome.clone()),
        ])
    })?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "crm/add_follow_up")]
pub async fn add_follow_up(
    customer_id: i32,
    assignee_id: String,
    due: String,
    note: String,
) -> Result<(), AppError> {
    use crate::server::services::crm::follow_ups;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    follow_ups::create(
        caller.db(),
        &actor,
        customer_id,
        &follow_ups::NewFollowUp {
            assignee_id: &assignee_id,
            due: &due,
            note: &note,
        },
    )
    .await
    .map_err(|e| {
        e.with_values([
            ("assignee_id", assignee_id.clone()),
            ("due", due.clone()),
            ("note", note.clone()),
        ])
    })?;
    Ok(())
}

/// Marks a follow-up done; when `next_due` is filled, schedules the next one in the same step.
#[server(prefix = "/api", endpoint = "crm/complete_follow_up")]
pub async fn complete_follow_up(
    id: i32,
    next_due: Option<String>,
    next_note: Option<String>,
    next_assignee_id: Option<String>,
) -> Result<(), AppError> {
    use crate::server::services::crm::follow_ups;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    let due = next_due.unwrap_or_default();
    let note = next_note.unwrap_or_default();
    let assignee = next_assignee_id.unwrap_or_default();
    let next = (!due.trim().is_empty()).then(|| follow_ups::NewFollowUp {
        assignee_id: &assignee,
        due: &due,
        note: &note,
    });
    follow_ups::complete(caller.db(), &actor, id, next)
        .await
        .map_err(|e| {
            let rename = |f: &str| format!("next_{f}");
            match e {
                AppError::Validation { message, fields, .. } => AppError::Validation {
                    message,
                    fields: fields.into_iter().map(|(k, v)| (rename(&k), v)).collect(),
                    values: Default::default(),
                },
                other => other,
            }
            .with_values([
                ("follow_up_id", id.to_string()),
                ("next_due", due.clone()),
                ("next_note", note.clone()),
                ("next_assignee_id", assignee.clone()),
            ])
        })
        .map(|_| ())
}

#[server(prefix = "/api", endpoint = "crm/reschedule_follow_up")]
pub async fn reschedule_follow_up(id: i32, due: String) -> Result<(), AppError> {
    use crate::server::services::crm::follow_ups;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    follow_ups::reschedule(caller.db(), &actor, id, &due)
        .await
        .map_err(|e| e.with_values([("follow_up_id", id.to_string()), ("due", due.clone())]))
}

#[server(prefix = "/api", endpoint = "crm/cancel_follow_up")]
pub async fn cancel_follow_up(id: i32) -> Result<(), AppError> {
    use crate::server::services::crm::follow_ups;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    follow_ups::cancel(caller.db(), &actor, id).await
}

/// One page of my open follow-ups due today or overdue, oldest first (`page` 0 or 1 is the
/// first).
#[server(prefix = "/api", endpoint = "crm/my_day")]
pub async fn my_day(page: u64) -> Result<Paged<FollowUpView>, AppError> {
    use crate::server::services::crm::follow_ups;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    follow_ups::my_day(caller.db(), &actor, page).await
}

#[server(prefix = "/api", endpoint = "crm/add_contact")]
pub async fn add_contact(
    customer_id: i32,
    name: String,
    title: String,
    email: String,
    phone: String,
) -> Result<(), AppError> {
    use crate::server::services::crm::timeline;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    timeline::add_contact(
        caller.db(),
        &actor,
        customer_id,
        &timeline::NewContact {
            name: &name,
            title: &title,
            email: &email,
            phone: &phone,
        },
    )
    .await
    .map_err(|e| {
        e.with_values([
            ("name", name.clone()),
            ("title", title.clone()),
            ("email", email.clone()),
            ("phone", phone.clone()),
        ])
    })?;
    Ok(())
}

/// Re-confirms a custom value as still true.
#[server(prefix = "/api", endpoint = "crm/confirm_value")]
pub async fn confirm_value(customer_id: i32, field_id: i32) -> Result<(), AppError> {
    use crate::server::services::crm::fields;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    fields::confirm(caller.db(), &actor, customer_id, field_id)
        .await
        .map_err(|e| e.with_values([("field_id", field_id.to_string())]))
}
