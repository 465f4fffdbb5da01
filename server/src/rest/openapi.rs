//! The OpenAPI 3 document of the API.

use app::server::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// The OpenAPI 3 document of exactly [`ROUTES`].
pub async fn serve(State(state): State<AppState>) -> Json<Value> {
    Json(openapi_document(&state.config.base_url))
}

pub fn openapi_document(base_url: &str) -> Value {
    let error = json!({ "$ref": "#/components/responses/Error" });
    let id_param = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let filters: Vec<Value> = [
        ("q", "Matches name, email, phone or tag."),
        ("owner", "A user id, or `me`."),
        ("team", "A team id."),
        ("stage", "A lifecycle stage key."),
        ("tag", "A tag."),
        ("overdue", "`1`: only customers with an overdue follow-up."),
        ("incomplete", "`1`: only customers whose data is incomplete or stale."),
        ("sort", "`name`, `follow_up`, `interaction` or `quality`; prefix `-` to reverse."),
        ("page", "1-based page number."),
        ("per_page", "1 to 200; default 50."),
    ]
    .into_iter()
    .map(|(name, description)| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } }))
    .collect();
    let customer_ref = json!({ "$ref": "#/components/schemas/Customer" });
    let input_ref = json!({ "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CustomerInput" } } } });
    let one = json!({ "description": "The customer.", "content": { "application/json": { "schema": customer_ref } } });
    let paging: Vec<Value> = [("page", "1-based page number."), ("per_page", "1 to 200; default 50.")]
        .into_iter()
        .map(|(name, description)| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "integer" } }))
        .collect();
    let page_of = |schema: &str| json!({ "description": "One page.", "content": { "application/json": { "schema": {
        "type": "object",
        "properties": {
            "data": { "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } },
            "page": { "type": "integer" }, "per_page": { "type": "integer" },
            "total": { "type": "integer" }, "next_page": { "type": "integer", "nullable": true },
        },
    } } } });
    let schema = |name: &str| json!({ "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } } });
    let with_description = |mut v: Value, description: &str| { v["description"] = json!(description); v };
    let follow_up_filters: Vec<Value> = [
        ("assignee", "A user id, `me` (the default) or `any`."),
        ("customer", "A customer id."),
        ("status", "`open` (the default), `done`, `cancelled` or `any`."),
        ("overdue", "`1`: only open follow-ups already due."),
    ]
    .into_iter()
    .map(|(name, description)| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } }))
    .chain(paging.iter().cloned())
    .collect();
    let due_at = json!({ "type": "string", "description": "RFC 3339 (`2026-12-01T09:00:00Z`), or `YYYY-MM-DDTHH:MM` read in the assignee's timezone." });
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Rapport API",
            "version": "1",
            "description": "Customers, their interactions and follow-ups, and guided processes. Authenticate with a personal API token from your profile page: `Authorization: Bearer <token>`. Every call acts with that user's permissions.",
        },
        "servers": [{ "url": base_url }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/openapi.json": {
                "get": { "summary": "This document.", "security": [], "responses": { "200": { "description": "The OpenAPI document." } } },
            },
            "/api/v1/customers": {
                "get": {
                    "summary": "List the customers you may see, filtered and sorted.",
                    "parameters": filters,
                    "responses": {
                        "200": { "description": "One page.", "content": { "application/json": { "schema": {
                            "type": "object",
                            "properties": {
                                "data": { "type": "array", "items": customer_ref },
                                "page": { "type": "integer" }, "per_page": { "type": "integer" },
                                "total": { "type": "integer" }, "next_page": { "type": "integer", "nullable": true },
                            },
                        } } } },
                        "401": error, "422": error,
                    },
                },
                "post": {
                    "summary": "Create a customer.",
                    "requestBody": input_ref,
                    "responses": { "201": one, "401": error, "409": error, "422": error },
                },
            },
            "/api/v1/customers/{id}": {
                "parameters": id_param,
                "get": { "summary": "One customer.", "responses": { "200": one, "401": error, "404": error } },
                "patch": {
                    "summary": "Change the given fields of a customer you may edit.",
                    "requestBody": input_ref,
                    "responses": { "200": one, "401": error, "403": error, "404": error, "409": error, "422": error },
                },
                "delete": {
                    "summary": "Delete a customer you may edit, with its contacts, interactions and follow-ups.",
                    "responses": { "204": { "description": "Deleted." }, "401": error, "403": error, "404": error },
                },
            },
            "/api/v1/customers/{id}/interactions": {
                "parameters": id_param,
                "get": {
                    "summary": "A customer's interactions, newest first.",
                    "parameters": paging,
                    "responses": { "200": page_of("Interaction"), "401": error, "404": error, "422": error },
                },
                "post": {
                    "summary": "Log an interaction (call, meeting, email or note) on a customer you can see.",
                    "requestBody": schema("InteractionInput"),
                    "responses": { "201": with_description(schema("Interaction"), "The interaction."), "401": error, "404": error, "422": error },
                },
            },
            "/api/v1/follow-ups": {
                "get": {
                    "summary": "Follow-ups on customers you can see: by default your open ones, soonest due first.",
                    "parameters": follow_up_filters,
                    "responses": { "200": page_of("FollowUp"), "401": error, "422": error },
                },
                "post": {
                    "summary": "Schedule a follow-up on a customer you can see.",
                    "requestBody": schema("NewFollowUp"),
                    "responses": { "201": with_description(schema("FollowUp"), "The follow-up."), "401": error, "404": error, "422": error },
                },
            },
            "/api/v1/follow-ups/{id}": {
                "parameters": id_param,
                "patch": {
                    "summary": "Mark a follow-up done (optionally scheduling the next one), reschedule or cancel it: its assignee, or someone who may edit the customer.",
                    "requestBody": schema("FollowUpChange"),
                    "responses": { "200": with_description(schema("FollowUp"), "The follow-up after the change; `next` holds the one scheduled with it."), "401": error, "403": error, "404": error, "409": error, "422": error },
                },
            },
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "Error": { "description": "An error.", "content": { "application/json": { "schema": {
                    "type": "object",
                    "properties": { "error": { "type": "object", "properties": {
                        "code": { "type": "string", "description": "validation_failed, duplicate, not_found, unauthorized, forbidden, conflict, too_many_requests, internal" },
                        "message": { "type": "string" },
                        "fields": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Per-field messages (custom fields as cf_<key>)." },
                        "duplicate_id": { "type": "integer", "description": "The existing customer a 409 points at." },
                    } } },
                } } } },
            },
            "schemas": {
                "Customer": { "type": "object", "properties": {
                    "id": { "type": "integer" },
                    "kind": { "type": "string", "enum": ["organisation", "person"] },
                    "name": { "type": "string" },
                    "email": { "type": "string", "nullable": true },
                    "phone": { "type": "string", "nullable": true },
                    "notes": { "type": "string" },
                    "stage": { "type": "string", "description": "Lifecycle stage key." },
                    "owner_id": { "type": "integer" },
                    "team_id": { "type": "integer", "nullable": true },
                    "tags": { "type": "array", "items": { "type": "string" } },
                    "custom": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Custom field values by key." },
                    "quality": { "type": "integer", "description": "Data quality, 0 to 100." },
                    "last_interaction_at": { "type": "string", "format": "date-time", "nullable": true },
                    "next_follow_up_at": { "type": "string", "format": "date-time", "nullable": true },
                    "created_at": { "type": "string", "format": "date-time" },
                    "updated_at": { "type": "string", "format": "date-time" },
                } },
                "Interaction": { "type": "object", "properties": {
                    "id": { "type": "integer" },
                    "customer_id": { "type": "integer" },
                    "author_id": { "type": "integer", "nullable": true },
                    "kind": { "type": "string", "enum": ["call", "meeting", "email", "note"] },
                    "occurred_at": { "type": "string", "format": "date-time" },
                    "summary": { "type": "string" },
                    "outcome": { "type": "string" },
                    "created_at": { "type": "string", "format": "date-time" },
                } },
                "InteractionInput": { "type": "object", "additionalProperties": false, "required": ["kind", "summary"], "properties": {
                    "kind": { "type": "string", "enum": ["call", "meeting", "email", "note"] },
                    "occurred_at": { "type": "string", "format": "date-time", "description": "Default: now. Not in the future." },
                    "summary": { "type": "string" },
                    "outcome": { "type": "string" },
                } },
                "FollowUp": { "type": "object", "properties": {
                    "id": { "type": "integer" },
                    "customer_id": { "type": "integer" },
                    "assignee_id": { "type": "integer" },
                    "created_by": { "type": "integer", "nullable": true },
                    "due_at": { "type": "string", "format": "date-time" },
                    "overdue": { "type": "boolean" },
                    "note": { "type": "string" },
                    "status": { "type": "string", "enum": ["open", "done", "cancelled"] },
                    "completed_at": { "type": "string", "format": "date-time", "nullable": true },
                    "completed_by": { "type": "integer", "nullable": true },
                    "created_at": { "type": "string", "format": "date-time" },
                    "next": { "$ref": "#/components/schemas/FollowUp" },
                } },
                "FollowUpInput": { "type": "object", "additionalProperties": false, "required": ["due_at"], "properties": {
                    "due_at": due_at,
                    "assignee_id": { "type": "integer", "description": "Default: you." },
                    "note": { "type": "string" },
                } },
                "NewFollowUp": { "type": "object", "additionalProperties": false, "required": ["customer_id", "due_at"], "properties": {
                    "customer_id": { "type": "integer" },
                    "due_at": due_at,
                    "assignee_id": { "type": "integer", "description": "Default: you." },
                    "note": { "type": "string" },
                } },
                "FollowUpChange": { "type": "object", "additionalProperties": false, "required": ["action"], "properties": {
                    "action": { "type": "string", "enum": ["done", "reschedule", "cancel"] },
                    "next": { "$ref": "#/components/schemas/FollowUpInput", "description": "With `done`: the next follow-up to schedule." },
                    "due_at": { "type": "string", "description": "With `reschedule`: the new time, as in FollowUpInput." },
                } },
                "CustomerInput": { "type": "object", "additionalProperties": false, "properties": {
                    "kind": { "type": "string", "enum": ["organisation", "person"] },
                    "name": { "type": "string" },
                    "email": { "type": "string" },
                    "phone": { "type": "string" },
                    "stage": { "type": "string" },
                    "owner_id": { "type": "integer" },
                    "tags": { "type": "array", "items": { "type": "string" } },
                    "notes": { "type": "string" },
                    "custom": { "type": "object", "additionalProperties": { "type": "string" } },
                    "allow_similar_name": { "type": "boolean" },
                } },
            },
        },
    });
    // The process routes, added apart (one `json!` of everything would exceed the macro's
    // recursion limit).
    let run_filters: Vec<Value> = [
        ("template", "A process id."),
        ("customer", "A customer id."),
        ("status", "`active`, `completed` or `cancelled`."),
        ("owner", "A user id, or `me`."),
        ("team", "A team id (of the customer)."),
        ("overdue", "`1`: only active runs with a step past due."),
    ]
    .into_iter()
    .map(|(name, description)| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } }))
    .chain(paging.iter().cloned())
    .collect();
    let process_paths = json!({
            "/api/v1/process-templates": {
            "get": {
                "summary": "The processes you may see (admins: all, archived too).",
                "responses": { "200": { "description": "The processes.", "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "data": { "type": "array", "items": { "$ref": "#/components/schemas/ProcessSummary" } } },
                } } } }, "401": error },
            },
            "post": {
                "summary": "Create a process from its JSON form (as `/processes/{id}/export.json` gives it); `publish=1` publishes it at once. Admins only.",
                "parameters": [{ "name": "publish", "in": "query", "required": false, "schema": { "type": "string" }, "description": "`1`: publish the imported version." }],
                "requestBody": schema("ProcessExport"),
                "responses": { "201": with_description(schema("Process"), "The new process."), "401": error, "403": error, "422": error },
            },
        },
        "/api/v1/process-templates/{id}": {
            "parameters": id_param,
            "get": {
                "summary": "A process with its versions and the steps of the version new runs start on.",
                "responses": { "200": with_description(schema("Process"), "The process."), "401": error, "404": error },
            },
        },
        "/api/v1/process-runs": {
            "get": {
                "summary": "Runs on customers you may see, newest first.",
                "parameters": run_filters,
                "responses": { "200": page_of("ProcessRunSummary"), "401": error, "422": error },
            },
            "post": {
                "summary": "Start a process on a customer you can see; you own the run.",
                "requestBody": { "content": { "application/json": { "schema": { "type": "object", "required": ["template_id", "customer_id"], "properties": {
                    "template_id": { "type": "integer" }, "customer_id": { "type": "integer" },
                } } } } },
                "responses": { "201": with_description(schema("ProcessRun"), "The run with its steps."), "401": error, "404": error, "409": error, "422": error },
            },
        },
        "/api/v1/process-runs/{id}": {
            "parameters": id_param,
            "get": {
                "summary": "A run with its steps: state, assignee, timings, decisions.",
                "responses": { "200": with_description(schema("ProcessRun"), "The run."), "401": error, "404": error },
            },
        },
        "/api/v1/process-runs/{id}/steps/{step_id}": {
            "parameters": [
                { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } },
                { "name": "step_id", "in": "path", "required": true, "schema": { "type": "integer" } },
            ],
            "post": {
                "summary": "Act on a step: complete (a data step with `data`), skip an optional step or reject an approval (with `reason`), or approve. Only someone the step allows; 409 says what happened if someone else acted first.",
                "requestBody": { "content": { "application/json": { "schema": { "type": "object", "required": ["action"], "properties": {
                    "action": { "type": "string", "enum": ["complete", "skip", "approve", "reject"] },
                    "data": { "type": "object", "additionalProperties": { "type": "string" }, "description": "For a data step: field key to value; messages come back as `data.<key>`." },
                    "reason": { "type": "string" },
                } } } } },
                "responses": { "200": with_description(schema("ProcessRun"), "The run after the action."), "401": error, "403": error, "404": error, "409": error, "422": error },
            },
        },
    });
    let process_schemas = json!({
                "ProcessSummary": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "name": { "type": "string" }, "trigger": { "type": "string" },
                    "published_version": { "type": "integer", "nullable": true }, "draft_version": { "type": "integer", "nullable": true },
                    "active_runs": { "type": "integer" }, "archived": { "type": "boolean" },
                } },
                "Process": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "name": { "type": "string" }, "goal": { "type": "string" },
                    "trigger": { "type": "string", "enum": ["manual", "customer_created", "stage_changed"] },
                    "trigger_stage": { "type": "string", "nullable": true }, "archived": { "type": "boolean" },
                    "versions": { "type": "array", "items": { "type": "object" } },
                    "steps": { "type": "array", "items": { "type": "object" } },
                } },
                "ProcessExport": { "type": "object", "required": ["name", "goal", "steps"], "properties": {
                    "name": { "type": "string" }, "goal": { "type": "string" },
                    "trigger": { "type": "string" }, "trigger_stage": { "type": "string" },
                    "steps": { "type": "array", "items": { "type": "object", "required": ["title", "kind"], "properties": {
                        "title": { "type": "string" }, "guidance": { "type": "string" }, "tip": { "type": "string" },
                        "kind": { "type": "string", "enum": ["task", "data", "approval", "stop"] },
                        "assignee": { "type": "string", "description": "`owner`, `role:<member|manager|admin>` or `user:<email>`." },
                        "due_amount": { "type": "integer" }, "due_unit": { "type": "string", "enum": ["hours", "days"] },
                        "due_from": { "type": "string", "enum": ["start", "previous"] },
                        "working_days": { "type": "boolean" }, "optional": { "type": "boolean" },
                        "fields": { "type": "array", "items": { "type": "string" } },
                    } } },
                } },
                "ProcessRunSummary": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "template_id": { "type": "integer" }, "version_id": { "type": "integer" },
                    "customer_id": { "type": "integer" }, "owner_id": { "type": "integer" },
                    "status": { "type": "string", "enum": ["active", "completed", "cancelled"] },
                    "started_how": { "type": "string" }, "started_at": { "type": "string" }, "finished_at": { "type": "string", "nullable": true },
                } },
                "ProcessRun": { "allOf": [{ "$ref": "#/components/schemas/ProcessRunSummary" }, { "type": "object", "properties": {
                    "steps": { "type": "array", "items": { "type": "object", "properties": {
                        "id": { "type": "integer" }, "title": { "type": "string" }, "kind": { "type": "string" },
                        "status": { "type": "string", "enum": ["waiting", "available", "done", "skipped", "approved", "rejected"] },
                        "assignee_id": { "type": "integer", "nullable": true }, "assignee_role": { "type": "string", "nullable": true },
                        "available_at": { "type": "string", "nullable": true }, "due_at": { "type": "string", "nullable": true },
                        "completed_at": { "type": "string", "nullable": true }, "completed_by": { "type": "integer", "nullable": true },
                        "decision": { "type": "string", "nullable": true }, "decision_reason": { "type": "string", "nullable": true },
                        "reopened_count": { "type": "integer" },
                    } } },
                } }] },
    });
    for (section, extra) in [("paths", process_paths), ("schemas", process_schemas)] {
        let target = if section == "paths" { &mut doc["paths"] } else { &mut doc["components"]["schemas"] };
        if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
            target.extend(extra);
        }
    }
    doc
}
