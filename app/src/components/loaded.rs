//! What a page shows around the data it loads: a loading line the first time, the view of the
//! data once there (the old view stays while it reloads), the not-found page when the thing is
//! gone or not the viewer's to see, and an error alert for any other failure.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};

/// The line shown while something first loads.
#[component]
pub fn Loading(#[prop(default = "Loading…")] text: &'static str) -> impl IntoView {
    view! { <p class="loading" role="status">{text}</p> }
}

/// An error message (one that stops a page or a part of it from showing, or a form's), as an
/// alert read out at once.
#[component]
pub fn ErrorAlert(#[prop(into)] message: String) -> impl IntoView {
    view! { <div class="alert alert-error" role="alert">{message}</div> }
}

/// `data`'s value drawn by `render`, inside a transition: `loading` the first time, the last
/// view while it reloads; `AppError::NotFound` is the not-found page, any other error an
/// [`ErrorAlert`].
#[component]
pub fn Loaded<T, R, V>(
    data: Resource<Result<T, AppError>>,
    render: R,
    #[prop(default = "Loading…")] loading: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    R: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=move || view! { <Loading text=loading/> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(value) => render(value).into_any(),
                        Err(AppError::NotFound) => view! { <crate::pages::errors::NotFound/> }.into_any(),
                        Err(error) => view! { <ErrorAlert message=error.to_string()/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}
