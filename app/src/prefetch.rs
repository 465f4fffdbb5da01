//! Which wasm chunks a page names in its head, in a split build. The chunks of the page's own
//! area are `preload`s: the router loads them before it hydrates the page. Every other chunk of
//! the split manifest is a `prefetch`, which the browser fetches at idle priority after the page
//! has loaded, so moving to another area finds its chunk in the HTTP cache (the chunks are
//! served immutable) rather than waiting on the network. A browser that asks to save data
//! (`Save-Data: on`) gets no prefetches.
//!
//! leptos names a page's chunks itself when the page's `#[lazy]` area function runs after
//! leptos_axum has provided the context that collects them, which is not so for every page (the
//! process and admin pages had no preloads), so the own area's preloads are named here too; a
//! chunk named twice is fetched once.

use std::collections::{BTreeSet, HashMap};

/// Whether `key`, an id of the split manifest, is the `#[lazy]` function `area_fn`: leptos
/// names each one `{function}_{hash of its place in the source}`.
fn is_area(key: &str, area_fn: &str) -> bool {
    key.strip_prefix(area_fn)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_digit()))
}

/// The chunks of a split manifest (lazy function id → the chunks it loads) that the area
/// function `own` loads, and those it does not, each sorted and each chunk once. With no own
/// area (the entry pages, in the first-loaded wasm), none and every chunk.
pub fn own_and_rest<'a>(
    manifest: &'a HashMap<String, Vec<String>>,
    own: Option<&str>,
) -> (Vec<&'a str>, Vec<&'a str>) {
    let own_chunks: BTreeSet<&str> = manifest
        .iter()
        .filter(|(key, _)| own.is_some_and(|own| is_area(key, own)))
        .flat_map(|(_, chunks)| chunks.iter().map(String::as_str))
        .collect();
    let all: BTreeSet<&str> = manifest.values().flatten().map(String::as_str).collect();
    let rest = all.difference(&own_chunks).copied().collect();
    (own_chunks.into_iter().collect(), rest)
}

/// Names in the page's head the chunks of the page's area (`own`, the name of its area
/// function; `None` for the entry pages) as preloads, with the split loader, and every other
/// chunk as a prefetch. Nothing without a split manifest (a build without `--split`); no
/// prefetches when the request carries `Save-Data: on`.
#[cfg(feature = "ssr")]
pub fn link_chunks(own: Option<&str>) {
    use leptos::WasmSplitManifest;
    use leptos::prelude::*;
    use leptos_meta::Link;

    let save_data = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get("save-data")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("on"))
    });
    let Some(manifest) = use_context::<WasmSplitManifest>() else { return };
    let Some(read) = manifest.0.try_read_value() else { return };
    let (pkg_path, chunks, loader) = &*read;
    let (own_chunks, rest) = own_and_rest(chunks, own);
    // Rendering a leptos_meta component registers it with the head; the HTML is not used.
    if !own_chunks.is_empty() {
        _ = view! { <Link rel="modulepreload" href=format!("{pkg_path}/{loader}") crossorigin="anonymous"/> }.to_html();
    }
    for chunk in own_chunks {
        _ = view! {
            <Link rel="preload" href=format!("{pkg_path}/{chunk}.wasm") as_="fetch" type_="application/wasm" crossorigin="anonymous"/>
        }
        .to_html();
    }
    if save_data {
        return;
    }
    for chunk in rest {
        _ = view! {
            <Link rel="prefetch" href=format!("{pkg_path}/{chunk}.wasm") as_="fetch" crossorigin="anonymous"/>
        }
        .to_html();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> HashMap<String, Vec<String>> {
        [
            ("customers_area_1234", vec!["split_customers_area_1234", "chunk_0", "chunk_2"]),
            ("admin_area_1234", vec!["split_admin_area_1234", "chunk_0", "chunk_1"]),
            ("home_area_1234", vec!["split_home_area_1234"]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect()
    }

    #[test]
    fn an_area_prefetches_what_only_the_other_areas_load() {
        let m = manifest();
        assert_eq!(
            own_and_rest(&m, Some("customers_area")),
            (vec!["chunk_0", "chunk_2", "split_customers_area_1234"], vec![
                "chunk_1",
                "split_admin_area_1234",
                "split_home_area_1234"
            ])
        );
        assert_eq!(own_and_rest(&m, Some("home_area")).1, vec![
            "chunk_0",
            "chunk_1",
            "chunk_2",
            "split_admin_area_1234",
            "split_customers_area_1234"
        ]);
    }

    #[test]
    fn the_entry_pages_prefetch_every_chunk_and_names_match_whole() {
        let m = manifest();
        assert_eq!(own_and_rest(&m, None).0, Vec::<&str>::new());
        assert_eq!(own_and_rest(&m, None).1.len(), 6);
        // "admin" is not "admin_area", and "area_1234" is no area function's id.
        assert_eq!(own_and_rest(&m, Some("admin")).1.len(), 6);
        assert!(!is_area("admin_area_1234", "admin_are"));
        assert!(!is_area("admin_area_", "admin_area"));
        assert!(is_area("admin_area_99", "admin_area"));
    }
}
