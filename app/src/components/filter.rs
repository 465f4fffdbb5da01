//! The selects of a list's filter form (a GET form, so filters live in the URL).

use crate::model::crm::Choice;
use leptos::prelude::*;

/// A select of `choices` with an "any" first option.
#[component]
pub fn FilterSelect(
    label: &'static str,
    name: &'static str,
    any: &'static str,
    choices: Vec<Choice>,
    selected: String,
) -> impl IntoView {
    let id = format!("filter-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                <option value="" selected=selected.is_empty()>{any}</option>
                {choices.into_iter().map(|c| {
                    let is = c.value == selected;
                    view! { <option value=c.value selected=is>{c.label}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}
