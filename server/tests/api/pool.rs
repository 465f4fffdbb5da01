//! A SQLite file, as a production SQLite installation runs it (a pool of connections, WAL,
//! a busy timeout, writes in immediate transactions), under simultaneous writes.

use crate::helpers::{PASSWORD, TestApp};
use app::model::crm::CustomerList;
use app::model::user::Role;
use app::server::testing::Backend;
use futures_util::future::join_all;

fn customer<'a>(name: &'a str, id: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("kind", "organisation"),
        ("name", name),
        ("email", ""),
        ("phone", ""),
        ("stage", "prospect"),
        ("owner_id", ""),
        ("tags", ""),
        ("notes", ""),
    ];
    form.extend(id.map(|id| ("id", id)));
    form
}

/// Six people sign in at once, then each creates three customers and renames a shared one at
/// the same moment: every request succeeds (none is refused with "database is locked"), every
/// customer is there, and the shared one's history holds the six renames one after the other.
#[tokio::test]
async fn a_sqlite_file_takes_simultaneous_writes_from_many_connections() {
    let spawned = TestApp::spawn(Backend::SqliteFile).await.unwrap();
    let app = &spawned;
    let emails: Vec<String> = (0..6).map(|i| format!("admin{i}@example.org")).collect();
    for email in &emails {
        app.create_member_of(email, Role::Admin, None, "UTC").await;
    }
    let clients = join_all(emails.iter().map(|e| app.signed_in(e, PASSWORD))).await;
    let shared: i32 = app.ok(&clients[0], "/api/crm/create_customer", &customer("Shared Bakery", None)).await;
    let sid = shared.to_string();
    let names: Vec<Vec<String>> = (0..6).map(|i| (0..3).map(|k| format!("Customer {i}-{k}")).collect()).collect();
    let renames: Vec<String> = (0..6).map(|i| format!("Shared Bakery {i}")).collect();
    let creates = clients.iter().zip(&names).flat_map(|(client, names)| {
        names.iter().map(move |n| async move { app.call(client, "/api/crm/create_customer", &customer(n, None)).await })
    });
    let sid = &sid;
    let edits = clients.iter().zip(&renames).map(|(client, name)| async move {
        let mut form = customer(name, Some(sid));
        // Everyone keeps the first admin as the owner.
        form[5] = ("owner_id", "1");
        app.call(client, "/api/crm/update_customer", &form).await
    });
    let (created, edited) = tokio::join!(join_all(creates), join_all(edits));
    for res in created.into_iter().chain(edited) {
        let status = res.status();
        assert!(status.is_success(), "{status}: {}", res.text().await.unwrap());
    }
    let list: CustomerList = app.ok(&clients[0], "/api/crm/list_customers", &[]).await;
    assert_eq!(list.total, 19);
    let d: app::model::crm::CustomerDetail = app.ok(&clients[0], "/api/crm/get_customer", &[("id", sid)]).await;
    let chain: Vec<(String, String)> = d
        .history
        .iter()
        .rev()
        .filter(|h| h.action == "changed")
        .flat_map(|h| h.changes.iter().filter(|(f, ..)| f == "name").map(|(_, a, b)| (a.clone(), b.clone())))
        .collect();
    assert_eq!(chain.len(), 6, "{chain:?}");
    assert_eq!(chain[0].0, "Shared Bakery");
    assert!(chain.windows(2).all(|w| w[0].1 == w[1].0), "each rename starts from the one before: {chain:?}");
    assert_eq!(d.name, chain[5].1);
    spawned.stop().await;
}
