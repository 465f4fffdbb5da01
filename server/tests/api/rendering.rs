//! Pages keep answering while another router is built in the same process.

use crate::helpers::{PASSWORD, TestApp};
use app::model::user::Role;
use app::server::testing::Backend;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Building a router (each test here builds one, while other tests serve pages) once rendered
/// the whole app with resource loading switched off for the whole process, so a page whose
/// data started loading meanwhile never answered. Routers are built without a pause while a
/// signed-in page that loads data is fetched again and again: every fetch must answer.
#[tokio::test]
async fn pages_answer_while_other_routers_are_built() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.create_member_of("busy@example.com", Role::Admin, None, "UTC").await;
    let client = app.signed_in("busy@example.com", PASSWORD).await;
    let stop = Arc::new(AtomicBool::new(false));
    let builder = {
        let (stop, state) = (stop.clone(), app.state.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let mut built = 0u32;
            while !stop.load(Ordering::Relaxed) {
                runtime.block_on(async { drop(server::router(state.clone())) });
                built += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            built
        })
    };
    for path in ["/profile", "/customers", "/admin/users", "/processes"].repeat(5) {
        let res = client
            .get(app.url(path))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path} did not answer: {e}"));
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.text().await.unwrap().contains("</html>"), "{path} answered a whole page");
    }
    stop.store(true, Ordering::Relaxed);
    assert!(builder.join().unwrap() > 0, "routers were built meanwhile");
    app.stop().await;
}
