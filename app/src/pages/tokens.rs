//! The profile page's API tokens: create one (shown once), see when each was last used, and
//! revoke those no longer needed.

use crate::api::tokens::{CreateToken, RevokeToken, list_tokens};
use crate::components::form::{FormError, action_error};
use crate::components::loaded::Loaded;
use leptos::prelude::*;

#[component]
pub fn ApiTokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let list = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let error = action_error(create);
    let name_error = Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field_error("name"))));
    let typed = Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.value("name"))).unwrap_or_default());
    let fresh = move || create.value().get().and_then(Result::ok);
    view! {
        <section class="panel" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"API tokens"</h2>
            <p class="muted">
                "A token lets a script or another tool use the Rapport API as you, with your permissions. "
                "Send it as " <code>"Authorization: Bearer <token>"</code> "; the API is described at "
                <a href="/api/v1/openapi.json" rel="external">"/api/v1/openapi.json"</a> "."
            </p>
            {move || fresh().map(|token| view! {
                <div class="alert alert-ok" role="status">
                    <p>"Your new token. Copy it now: it is not shown again."</p>
                    <code class="token" aria-label="New API token">{token}</code>
                </div>
            })}
            <ActionForm action=create attr:class="row-form align-end">
                <div class="field grow" class:has-error=move || name_error.with(Option::is_some)>
                    <label for="token-name">"Token name"</label>
                    <p class="field-hint" id="token-name-hint">"Where it is used, e.g. “Nightly export”."</p>
                    <input id="token-name" name="name" required=true maxlength="80" autocomplete="off"
                        value=move || typed.get()
                        aria-invalid=move || if name_error.with(Option::is_some) { "true" } else { "false" }
                        aria-describedby=move || if name_error.with(Option::is_some) { "token-name-hint token-name-error" } else { "token-name-hint" }/>
                    {move || name_error.get().map(|m| view! { <p class="field-error" id="token-name-error">{m}</p> })}
                </div>
                <button type="submit" class="button button-primary">"Create token"</button>
            </ActionForm>
            <FormError error=Signal::derive(move || error.get().filter(|e| e.field_error("name").is_none()))/>
            <FormError error=action_error(revoke)/>
            <Loaded data=list render=move |value| {
                match value {
                    tokens if tokens.is_empty() => view! { <p class="empty">"No tokens yet."</p> }.into_any(),
                    tokens => view! {
                        <div class="table-wrap">
                            <table class="data responsive">
                                <caption class="sr-only">"Your API tokens"</caption>
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Starts with"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col">"Status"</th></tr></thead>
                                <tbody>
                                    {tokens.into_iter().map(|t| {
                                        let label = format!("Revoke {}", t.name);
                                        view! {
                                            <tr>
                                                <td data-label="Name">{t.name.clone()}</td>
                                                <td data-label="Starts with"><code>{format!("{}…", t.prefix)}</code></td>
                                                <td data-label="Created">{t.created.clone()}</td>
                                                <td data-label="Last used">{t.last_used.clone().unwrap_or_else(|| "Never".into())}</td>
                                                <td data-label="Status">
                                                    {match t.revoked.clone() {
                                                        Some(at) => view! { <span class="status status-off">{format!("Revoked {at}")}</span> }.into_any(),
                                                        None => view! {
                                                            <ActionForm action=revoke attr:class="inline-form">
                                                                <input type="hidden" name="id" value=t.id.to_string()/>
                                                                <button type="submit" class="button button-quiet" aria-label=label>"Revoke"</button>
                                                            </ActionForm>
                                                        }.into_any(),
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            }/>
        </section>
    }
}
