//! The browser entry point: hydrates the server-rendered page with the `app` crate's `App`.
// The app's view types are deep; computing their layout here needs more than the default.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `hydrate_lazy`: the page of this URL is in a wasm chunk, loaded before it hydrates.
    leptos::mount::hydrate_lazy(app::App);
}
