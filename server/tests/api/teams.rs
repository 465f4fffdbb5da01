//! Teams and managers through the admin server functions, with their audit entries.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::error::AppError;
use app::model::admin::{AuditPage, TeamsAdmin};
use app::model::user::Role;

async fn admins_create_rename_and_staff_teams_and_every_change_is_audited(app: &TestApp) {
    app.create_user("root@example.org", Role::Admin, "harbor-lilac-5501")
        .await;
    let manager = app
        .create_user("maya@example.org", Role::Manager, "orchid-summit-1209")
        .await;
    let member = app
        .create_user("moe@example.org", Role::Member, "pebble-zenith-7730")
        .await;
    let admin = app.signed_in("root@example.org", "harbor-lilac-5501").await;

    assert_eq!(
        app.call(&admin, "/api/admin/create_team", &[("name", "North")])
            .await
            .status(),
        200
    );
    let dup = app
        .call(&admin, "/api/admin/create_team", &[("name", "North")])
        .await;
    assert_eq!(dup.status(), 422);
    let err: AppError = dup.json().await.unwrap();
    assert!(err.field_error("name").unwrap().contains("already exists"));
    assert_eq!(err.value("name").as_deref(), Some("North"));
    let blank = app
        .call(&admin, "/api/admin/create_team", &[("name", "  ")])
        .await;
    assert_eq!(blank.status(), 422);

    let teams: TeamsAdmin = app
        .call(&admin, "/api/admin/list_teams", &[])
        .await
        .json()
        .await
        .unwrap();
    let team = teams.teams[0].id.to_string();
    assert!(teams.candidates.iter().any(|c| c.id == manager));
    assert!(
        !teams.candidates.iter().any(|c| c.id == member),
        "members cannot manage teams"
    );

    let refused = app
        .call(
            &admin,
            "/api/admin/add_team_manager",
            &[("team_id", &team), ("user_id", &member.to_string())],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let ok = app
        .call(
            &admin,
            "/api/admin/add_team_manager",
            &[("team_id", &team), ("user_id", &manager.to_string())],
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        app.call(
            &admin,
            "/api/admin/rename_team",
            &[("team_id", &team), ("name", "North Region")]
        )
        .await
        .status(),
        200
    );
    let teams: TeamsAdmin = app
        .call(&admin, "/api/admin/list_teams", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(teams.teams[0].name, "North Region");
    assert_eq!(
        teams.teams[0]
            .managers
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        vec![manager]
    );
    let removed = app
        .call(
            &admin,
            "/api/admin/remove_team_manager",
            &[("team_id", &team), ("user_id", &manager.to_string())],
        )
        .await;
    assert_eq!(removed.status(), 200);

    let update = app
        .call(
            &admin,
            "/api/admin/update_user",
            &[
                ("user_id", &member.to_string()),
                ("role", "manager"),
                ("team_id", &team),
            ],
        )
        .await;
    assert_eq!(update.status(), 200);

    let audit: AuditPage = app
        .call(&admin, "/api/admin/list_audit", &[("page", "0")])
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit.entries.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "team.create",
        "team.set_managers",
        "team.rename",
        "user.update",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let rename = audit
        .entries
        .iter()
        .find(|e| e.action == "team.rename")
        .unwrap();
    assert_eq!(
        (rename.before.as_deref(), rename.after.as_deref()),
        (Some("\"North\""), Some("\"North Region\""))
    );
    assert!(
        rename
            .actor
            .as_deref()
            .unwrap()
            .contains("root@example.org")
    );
    let role_change = audit
        .entries
        .iter()
        .find(|e| e.action == "user.update")
        .unwrap();
    assert!(
        role_change
            .before
            .as_deref()
            .unwrap()
            .contains("\"role\":\"member\"")
    );
    assert!(
        role_change
            .after
            .as_deref()
            .unwrap()
            .contains("\"role\":\"manager\"")
    );
}

async fn an_admin_cannot_demote_or_deactivate_themself(app: &TestApp) {
    let me = app
        .create_user("solo@example.org", Role::Admin, "thistle-anchor-4410")
        .await;
    let admin = app
        .signed_in("solo@example.org", "thistle-anchor-4410")
        .await;
    let demote = app
        .call(
            &admin,
            "/api/admin/update_user",
            &[
                ("user_id", &me.to_string()),
                ("role", "member"),
                ("team_id", ""),
            ],
        )
        .await;
    assert_eq!(demote.status(), 422);
    let off = app
        .call(
            &admin,
            "/api/admin/set_user_active",
            &[("user_id", &me.to_string()), ("active", "false")],
        )
        .await;
    assert_eq!(off.status(), 409);
}

on_both_databases!(
    admins_create_rename_and_staff_teams_and_every_change_is_audited,
    an_admin_cannot_demote_or_deactivate_themself,
);
