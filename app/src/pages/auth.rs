//! Sign-in and first-run setup: the pages anonymous visitors see.

use crate::api::auth::{SetupFirstAdmin, SignIn, list_timezones};
use crate::components::form::{Field, FormError, action_error, field_error, kept_value};
use crate::components::guard::{ViewerResource, refresh_viewer_after};
use crate::model::user::Viewer;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>().0;
    let action = ServerAction::<SignIn>::new();
    refresh_viewer_after(action);
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let error = action_error(action);
    view! {
        <Title text="Sign in"/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Viewer { user: Some(_), .. }) => view! { <Redirect path="/"/> }.into_any(),
                    Ok(Viewer { needs_setup: true, .. }) => view! { <Redirect path="/setup"/> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
        <section class="auth-card" aria-labelledby="signin-title">
            <h1 id="signin-title">"Sign in to Rapport"</h1>
            <ActionForm action=action attr:novalidate=false>
                <FormError error/>
                <input type="hidden" name="next" value=next/>
                <Field label="Email" name="email" kind="email" required=true autocomplete="username"
                    value=kept_value(error, "email", String::new()) error=field_error(error, "email") autofocus=true/>
                <Field label="Password" name="password" kind="password" required=true autocomplete="current-password"
                    error=field_error(error, "password")/>
                <button type="submit" class="button button-primary button-wide" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="auth-links"><a href="/forgot-password">"Forgot your password?"</a></p>
        </section>
    }
}

/// A timezone picker filled from the server's IANA list.
#[component]
pub fn TimezoneSelect(
    #[prop(into)] selected: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let zones = Resource::new(|| (), |_| list_timezones());
    view! {
        <div class="field" class:has-error=move || error.with(Option::is_some)>
            <label for="field-timezone">"Timezone"</label>
            <p class="field-hint" id="field-timezone-hint">"Due times and reminders use this timezone."</p>
            <select id="field-timezone" name="timezone" required=true aria-describedby="field-timezone-hint"
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }>
                <Transition fallback=move || view! { <option value=selected.get() selected=true>{selected.get()}</option> }>
                    {move || Suspend::new(async move {
                        let zones = zones.await.unwrap_or_else(|_| vec!["UTC".to_string()]);
                        zones.into_iter().map(|z| {
                            let is_selected = z == selected.get();
                            view! { <option value=z.clone() selected=is_selected>{z.clone()}</option> }
                        }).collect_view()
                    })}
                </Transition>
            </select>
            {move || error.get().map(|m| view! { <p class="field-error">{m}</p> })}
        </div>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>().0;
    let action = ServerAction::<SetupFirstAdmin>::new();
    refresh_viewer_after(action);
    let error = action_error(action);
    view! {
        <Title text="Set up Rapport"/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Viewer { user: Some(_), .. }) => view! { <Redirect path="/"/> }.into_any(),
                    Ok(Viewer { needs_setup: false, .. }) => view! { <Redirect path="/signin"/> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
        <section class="auth-card" aria-labelledby="setup-title">
            <h1 id="setup-title">"Welcome to Rapport"</h1>
            <p class="lede">"Create the first administrator. You can invite everyone else once you are in."</p>
            <ActionForm action=action>
                <FormError error/>
                <Field label="Setup token" name="setup_token" required=true autocomplete="off" autofocus=true
                    hint="The server printed it to its log when it started: look for “setup token”. It proves you run this Rapport."
                    error=field_error(error, "setup_token")/>
                <Field label="Your name" name="name" required=true autocomplete="name" maxlength=120
                    value=kept_value(error, "name", String::new()) error=field_error(error, "name")/>
                <Field label="Email" name="email" kind="email" required=true autocomplete="email"
                    value=kept_value(error, "email", String::new()) error=field_error(error, "email")/>
                <TimezoneSelect selected=kept_value(error, "timezone", "UTC".to_string()) error=field_error(error, "timezone")/>
                <Field label="Password" name="password" kind="password" required=true autocomplete="new-password"
                    minlength=10 hint="At least 10 characters, not containing your name or email."
                    error=field_error(error, "password")/>
                <button type="submit" class="button button-primary button-wide" disabled=move || action.pending().get()>
                    "Create administrator"
                </button>
            </ActionForm>
        </section>
    }
}
