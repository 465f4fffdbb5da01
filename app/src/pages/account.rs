//! Account pages: profile and password for the signed-in user; forgot password, reset and
//! accepting an invitation from emailed links.

use crate::api::account::{
    ChangePassword, ForgotPassword, SetPasswordFromLink, UpdateProfile, check_link,
};
use crate::components::form::{Field, FormError, action_error, field_error, kept_value};
use crate::components::guard::{ViewerResource, refresh_viewer_after};
use crate::model::user::UserView;
use crate::pages::auth::TimezoneSelect;
use crate::components::loaded::{ErrorAlert, Loading};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Shown after an action succeeded.
fn saved<S>(action: ServerAction<S>) -> Signal<bool>
where
    S: server_fn::ServerFn<Error = crate::error::AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().with(|v| matches!(v, Some(Ok(_)))))
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = expect_context::<UserView>();
    let profile = ServerAction::<UpdateProfile>::new();
    let password = ServerAction::<ChangePassword>::new();
    let epoch = expect_context::<crate::components::guard::AuthEpoch>();
    Effect::new(move |_| {
        if profile.value().with(|v| matches!(v, Some(Ok(_)))) {
            epoch.0.update(|n| *n += 1);
        }
    });
    let perr = action_error(profile);
    let pwerr = action_error(password);
    let profile_saved = saved(profile);
    let password_saved = saved(password);
    view! {
        <Title text="Your profile"/>
        <header class="page-header">
            <h1>"Your profile"</h1>
            <p class="lede">{me.email.clone()} " · " {me.role.label()} {me.team_name.clone().map(|t| format!(" · {t}"))}</p>
        </header>
        <section class="panel" aria-labelledby="profile-title">
            <h2 id="profile-title">"Name and timezone"</h2>
            <ActionForm action=profile>
                <FormError error=perr/>
                <Show when=move || profile_saved.get()><div class="alert alert-ok" role="status">"Profile saved."</div></Show>
                <Field label="Name" name="name" required=true maxlength=120 autocomplete="name"
                    value=kept_value(perr, "name", me.name.clone()) error=field_error(perr, "name")/>
                <TimezoneSelect selected=kept_value(perr, "timezone", me.timezone.clone()) error=field_error(perr, "timezone")/>
                <button type="submit" class="button button-primary">"Save profile"</button>
            </ActionForm>
        </section>
        <section class="panel" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <p class="muted">"Changing your password signs you out everywhere else."</p>
            <ActionForm action=password>
                <FormError error=pwerr/>
                <Show when=move || password_saved.get()><div class="alert alert-ok" role="status">"Password changed. Your other sessions have ended."</div></Show>
                <Field label="Current password" name="current_password" kind="password" required=true
                    autocomplete="current-password" error=field_error(pwerr, "current_password")/>
                <Field label="New password" name="new_password" kind="password" required=true minlength=10
                    autocomplete="new-password" hint="At least 10 characters, not containing your name or email."
                    error=field_error(pwerr, "new_password")/>
                <button type="submit" class="button button-primary">"Change password"</button>
            </ActionForm>
        </section>
        <crate::pages::tokens::ApiTokens/>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = action_error(action);
    let done = saved(action);
    view! {
        <Title text="Forgot password"/>
        <section class="auth-card" aria-labelledby="forgot-title">
            <h1 id="forgot-title">"Reset your password"</h1>
            <Show when=move || done.get() fallback=move || view! {
                <p class="lede">"Enter your email. If it belongs to an account, we send a link to choose a new password."</p>
                <ActionForm action=action>
                    <FormError error/>
                    <Field label="Email" name="email" kind="email" required=true autocomplete="username"
                        value=kept_value(error, "email", String::new()) error=field_error(error, "email") autofocus=true/>
                    <button type="submit" class="button button-primary button-wide">"Send reset link"</button>
                </ActionForm>
            }>
                <div class="alert alert-ok" role="status">"If that email belongs to an account, a link is on its way. It works once and expires in one hour."</div>
            </Show>
            <p class="auth-links"><a href="/signin">"Back to sign in"</a></p>
        </section>
    }
}

/// Choosing a password from an emailed link: `purpose` is "invite" or "reset".
#[component]
pub fn SetPasswordPage(purpose: &'static str) -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token")).unwrap_or_default();
    let owner = Resource::new(token, move |t| check_link(t, purpose.to_string()));
    let action = ServerAction::<SetPasswordFromLink>::new();
    refresh_viewer_after(action);
    let error = action_error(action);
    let _ = expect_context::<ViewerResource>();
    let (title, button) = if purpose == "invite" {
        ("Welcome to Rapport", "Set password and sign in")
    } else {
        ("Choose a new password", "Save password and sign in")
    };
    view! {
        <Title text=title/>
        <section class="auth-card" aria-labelledby="link-title">
            <h1 id="link-title">{title}</h1>
            <Transition fallback=|| view! { <Loading text="Checking your link…"/> }>
                {move || Suspend::new(async move {
                    match owner.await {
                        Ok(name) => view! {
                            <p class="lede">"Hello " {name} ". Choose a password to sign in with."</p>
                            <ActionForm action=action>
                                <FormError error/>
                                <input type="hidden" name="token" value=token/>
                                <input type="hidden" name="purpose" value=purpose/>
                                <Field label="New password" name="password" kind="password" required=true minlength=10
                                    autocomplete="new-password" hint="At least 10 characters, not containing your name or email."
                                    error=field_error(error, "password") autofocus=true/>
                                {move || field_error(error, "token").get().map(|message| view! { <ErrorAlert message/> })}
                                <button type="submit" class="button button-primary button-wide">{button}</button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! {
                            <ErrorAlert message=e.field_error("token").unwrap_or_else(|| e.to_string())/>
                            <p><a href="/forgot-password">"Ask for a new password link"</a></p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
