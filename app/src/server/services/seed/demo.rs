//! Demo data for `seed-demo` and `make run`: teams, one sign-in per role and more staff with
//! known passwords, three custom fields, and about 200 customers with contacts, custom values
//! (some stale), interactions and follow-ups, three processes with a few hundred runs
//! (`seed::processes`), and the activity stream of it all over the past months, sign-ins
//! included; added only to an empty database.

use crate::model::states::CustomerKind;
use crate::model::states::FollowUpStatus;
use crate::error::AppResult;
use crate::model::user::Role;
use crate::server::entities::{app_user, custom_field, custom_value, team, team_manager};
use crate::server::services::events;
use crate::server::services::platform::activity::{self, Activity};
use crate::server::services::platform::{now, users};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// (email, name, role) of the demo sign-ins.
pub const DEMO_USERS: [(&str, &str, Role); 3] = [
    ("admin@rapport.test", "Ada Okafor", Role::Admin),
    ("manager@rapport.test", "Max Lindqvist", Role::Manager),
    ("member@rapport.test", "Mia Santos", Role::Member),
];

/// Seeds the demo data when no user exists. Returns whether anything was added.
pub async fn seed(db: &DatabaseConnection) -> AppResult<bool> {
    let txn = crate::server::services::platform::begin_write(db).await?;
    if !users::needs_setup(&txn).await? {
        return Ok(false);
    }
    let mut team_ids = Vec::new();
    for name in ["North Region", "South Region"] {
        let t = team::ActiveModel {
            name: Set(name.to_string()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        team_ids.push(t.id);
    }
    for (email, name, role) in DEMO_USERS {
        let team_id = if role == Role::Admin {
            None
        } else {
            team_ids.first().copied()
        };
        let user = users::create(
            &txn,
            users::NewUser {
                name,
                email,
                password: Some(DEMO_PASSWORD),
                role,
                team_id,
                timezone: "Europe/Berlin",
            },
        )
        .await?;
        if role == Role::Manager
            && let Some(team_id) = team_id
        {
            team_manager::ActiveModel {
                team_id: Set(team_id),
                user_id: Set(user.id),
            }
            .insert(&txn)
            .await?;
        }
    }
    let everyone = app_user::Entity::find().all(&txn).await?;
    let mut staff = Vec::new();
    for (i, (email, name)) in DEMO_STAFF.iter().enumerate() {
        let user = users::create(
            &txn,
            users::NewUser {
                name,
                email,
                password: Some(DEMO_PASSWORD),
                role: Role::Member,
                team_id: team_ids.get(i % team_ids.len()).copied(),
                timezone: "Europe/London",
            },
        )
        .await?;
        staff.push(user);
    }
    staff.extend(everyone.into_iter().filter(|u| u.role != Role::Admin));
    seed_customers(&txn, &staff).await?;
    if let Some(admin) = app_user::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .find(|u| u.role == Role::Admin)
    {
        crate::server::services::seed::processes::seed(&txn, &admin).await?;
    }
    seed_sign_ins(&txn, team_ids.first().copied()).await?;
    txn.commit().await?;
    Ok(true)
}

/// More frontline staff, so that lists have several owners and teams.
const DEMO_STAFF: [(&str, &str); 3] = [
    ("jonas@rapport.test", "Jonas Weber"),
    ("priya@rapport.test", "Priya Raman"),
    ("tom@rapport.test", "Tom Becker"),
];

const FIRST: [&str; 12] = [
    "Anna", "Ben", "Clara", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jan", "Kemal",
    "Lena",
];
const LAST: [&str; 10] = [
    "Schmidt", "Okafor", "Novak", "Hansen", "Rossi", "Meyer", "Kowalski", "Dubois", "Silva",
    "Yilmaz",
];
const FIRMS: [&str; 14] = [
    "Harbor", "Birch", "Summit", "Cedar", "Atlas", "Lumen", "Nordic", "Orchard", "Pioneer",
    "Quarry", "Riverside", "Silverline", "Tidewater", "Vista",
];
const TRADES: [&str; 10] = [
    "Bakery", "Logistics", "Dental", "Builders", "Florist", "Consulting", "Print", "Motors",
    "Pharmacy", "Studio",
];
const SUMMARIES: [(&str, &str, &str); 8] = [
    ("call", "Asked about pricing for the larger plan", "Sends numbers by Friday"),
    ("meeting", "Quarterly review at their office", "Happy overall; wants faster onboarding"),
    ("email", "Sent the signed contract back", ""),
    ("note", "Main contact is on leave until the 15th", ""),
    ("call", "Complained about a late delivery", "Credit note agreed"),
    ("meeting", "Demo for the new finance lead", "Trial for two weeks"),
    ("email", "Requested updated bank details", "Waiting for their reply"),
    ("call", "Renewal check-in", "Renews for another year"),
];

/// A small deterministic generator: the same demo data on every machine.
pub(super) struct Lcg(pub(super) u64);
impl Lcg {
    pub(super) fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// About 200 customers over the staff, with contacts, months of interactions and open,
/// overdue and past follow-ups.
async fn seed_customers<C: sea_orm::ConnectionTrait>(
    db: &C,
    staff: &[app_user::Model],
) -> AppResult<()> {
    use crate::server::entities::{
        contact, customer, customer_tag, follow_up, interaction, lifecycle_stage,
    };
    use sea_orm::EntityTrait;
    let stages = lifecycle_stage::Entity::find().all(db).await?;
    let mut rng = Lcg(2026);
    // The activity stream of all this, with when each happened.
    let (mut history, mut history_at) = (Vec::new(), Vec::new());
    let start = now();
    let fields = seed_fields(db).await?;
    for i in 0..200 {
        let owner = &staff[rng.next(staff.len())];
        let organisation = i % 3 != 0;
        let name = if organisation {
            format!("{} {} {}", FIRMS[rng.next(FIRMS.len())], TRADES[rng.next(TRADES.len())], i + 1)
        } else {
            format!("{} {}", FIRST[rng.next(FIRST.len())], LAST[rng.next(LAST.len())])
        };
        let key = crate::server::services::crm::customers::name_key(&name);
        let email = (rng.next(10) < 8).then(|| format!("{key}{i}@example.com"));
        let phone = (rng.next(10) < 6).then(|| format!("+49 30 {:07}", 1_000_000 + i * 7919 % 8_999_999));
        let stage = &stages[rng.next(stages.len())];
        let created = start - chrono::TimeDelta::days(30 + rng.next(300) as i64);
        let c = customer::ActiveModel {
            kind: Set(if organisation { CustomerKind::Organisation } else { CustomerKind::Person }),
            name_key: Set(key),
            name: Set(name),
            email_key: Set(email.clone()),
            email: Set(email),
            phone: Set(phone),
            notes: Set(String::new()),
            owner_id: Set(owner.id),
            team_id: Set(owner.team_id),
            stage_id: Set(stage.id),
            quality: Set(0),
            quality_expires_at: Set(None),
            last_interaction_at: Set(None),
            next_follow_up_at: Set(None),
            created_by: Set(Some(owner.id)),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let tags: Vec<&str> = ["vip", "referral", "newsletter", "partner", "wholesale"]
            .into_iter()
            .filter(|_| rng.next(5) == 0)
            .collect();
        if !tags.is_empty() {
            customer_tag::Entity::insert_many(tags.iter().map(|t| customer_tag::ActiveModel {
                customer_id: Set(c.id),
                tag: Set(t.to_string()),
            }))
            .exec(db)
            .await?;
        }
        if organisation {
            contact::ActiveModel {
                customer_id: Set(c.id),
                name: Set(format!("{} {}", FIRST[rng.next(FIRST.len())], LAST[rng.next(LAST.len())])),
                title: Set(["Owner", "Office manager", "Finance lead", "Buyer"][rng.next(4)].into()),
                email: Set(None),
                phone: Set(None),
                created_at: Set(created),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        seed_values(db, &mut rng, &fields, c.id, owner, organisation).await?;
        let mut last = None;
        let count = rng.next(8);
        let interactions: Vec<interaction::ActiveModel> = (0..count)
            .map(|_| {
                let (kind, summary, outcome) = SUMMARIES[rng.next(SUMMARIES.len())];
                let at = start
                    - chrono::TimeDelta::days(rng.next(180) as i64)
                    - chrono::TimeDelta::minutes(rng.next(600) as i64);
                last = Some(last.map_or(at, |l: chrono::DateTime<chrono::Utc>| l.max(at)));
                interaction::ActiveModel {
                    customer_id: Set(c.id),
                    author_id: Set(Some(owner.id)),
                    kind: Set(kind.into()),
                    occurred_at: Set(at),
                    summary: Set(summary.into()),
                    outcome: Set(outcome.into()),
                    created_at: Set(at),
                    ..Default::default()
                }
            })
            .collect();
        history.push(events::Event::CustomerCreated { customer: &c }.activity(owner.id));
        history_at.push(created);
        for row in interactions {
            let saved = row.insert(db).await?;
            history.push(events::Event::InteractionLogged { customer: &c, interaction_id: saved.id }.activity(owner.id));
            history_at.push(saved.created_at);
        }
        // Open follow-ups: some overdue, some today, some later; and some done in the past.
        let due_in_hours: Option<i64> = match rng.next(6) {
            0 => Some(-(24 * (1 + rng.next(10) as i64))),
            1 => Some(1 + rng.next(6) as i64),
            2 | 3 => Some(24 * (1 + rng.next(30) as i64)),
            _ => None,
        };
        if let Some(hours) = due_in_hours {
            let open = follow_up::ActiveModel {
                customer_id: Set(c.id),
                assignee_id: Set(owner.id),
                created_by: Set(Some(owner.id)),
                due_at: Set(start + chrono::TimeDelta::hours(hours)),
                note: Set(["Call back about the quote", "Check the delivery arrived", "Ask for a referral", ""][rng.next(4)].into()),
                status: Set(FollowUpStatus::Open.into()),
                completed_at: Set(None),
                completed_by: Set(None),
                created_at: Set(created),
                ..Default::default()
            }
            .insert(db)
            .await?;
            history.push(events::Event::FollowUpScheduled { customer: &c, follow_up_id: open.id }.activity(owner.id));
            history_at.push(created);
        }
        if let Some(at) = last {
            let done = follow_up::ActiveModel {
                customer_id: Set(c.id),
                assignee_id: Set(owner.id),
                created_by: Set(Some(owner.id)),
                due_at: Set(at),
                note: Set("Follow up on the last conversation".into()),
                status: Set(FollowUpStatus::Done.into()),
                completed_at: Set(Some(at)),
                completed_by: Set(Some(owner.id)),
                created_at: Set(at - chrono::TimeDelta::days(2)),
                ..Default::default()
            }
            .insert(db)
            .await?;
            let event = |e: events::Event<'_>| e.activity(owner.id);
            history.push(event(events::Event::FollowUpScheduled { customer: &c, follow_up_id: done.id }));
            history.push(event(events::Event::FollowUpDone { customer: &c, follow_up_id: done.id }));
            history_at.extend([done.created_at, at]);
        }
        customer::ActiveModel {
            id: Set(c.id),
            last_interaction_at: Set(last),
            ..Default::default()
        }
        .update(db)
        .await?;
        crate::server::services::crm::follow_ups::refresh_next(db, c.id).await?;
        crate::server::services::crm::customers::refresh_quality(db, c.id).await?;
    }
    activity::record_many(db, history.into_iter().zip(history_at).collect()).await
}

/// Months of sign-ins on working days: the North team signs in on most of them, the South
/// team on about half, so adoption differs between the teams.
async fn seed_sign_ins<C: sea_orm::ConnectionTrait>(db: &C, north: Option<i32>) -> AppResult<()> {
    let mut rng = Lcg(7);
    let today = now().date_naive();
    let mut rows = Vec::new();
    for user in app_user::Entity::find().all(db).await? {
        let rate = match user.team_id {
            None => 7,
            Some(t) if Some(t) == north => 9,
            Some(_) => 5,
        };
        for back in 1..=150 {
            let day = today - chrono::TimeDelta::days(back);
            if matches!(chrono::Datelike::weekday(&day), chrono::Weekday::Sat | chrono::Weekday::Sun) || rng.next(10) >= rate {
                continue;
            }
            let at = day.and_hms_opt(7 + rng.next(3) as u32, rng.next(60) as u32, 0).map(|t| t.and_utc());
            let Some(at) = at else { continue };
            let activity = Activity { user_id: user.id, kind: "signed_in", team_id: user.team_id, ..Default::default() };
            rows.push((activity, at));
        }
    }
    activity::record_many(db, rows).await
}

/// Three custom fields: an account number (members keep it), a revenue band (managers
/// re-confirm it every 90 days) and a contract renewal date.
async fn seed_fields<C: sea_orm::ConnectionTrait>(db: &C) -> AppResult<Vec<custom_field::Model>> {
    let defs = [
        ("account_number", "Account number", "text", "", true, Some("[A-Z]{2}-[0-9]{5}"), Role::Member, None),
        ("revenue_band", "Revenue band", "choice", "Small\nMedium\nLarge\nEnterprise", true, None, Role::Manager, Some(90)),
        ("renewal_date", "Contract renewal", "date", "", false, None, Role::Member, Some(365)),
    ];
    let mut out = Vec::new();
    for (i, (key, label, kind, options, required, pattern, owner, fresh)) in defs.into_iter().enumerate() {
        out.push(
            custom_field::ActiveModel {
                key: Set(key.into()),
                label: Set(label.into()),
                field_type: Set(kind.into()),
                options: Set(options.into()),
                required: Set(required),
                min_value: Set(None),
                max_value: Set(None),
                pattern: Set(pattern.map(String::from)),
                pattern_example: Set(pattern.map(|_| "AB-12345".to_string())),
                owner_role: Set(owner),
                freshness_days: Set(fresh),
                position: Set(i as i32 + 1),
                active: Set(true),
                created_at: Set(now() - chrono::TimeDelta::days(400)),
                ..Default::default()
            }
            .insert(db)
            .await?,
        );
    }
    Ok(out)
}

/// Values: most customers have an account number, many a revenue band (confirmed up to 200
/// days ago, so some are stale), half the organisations a renewal date.
async fn seed_values<C: sea_orm::ConnectionTrait>(
    db: &C,
    rng: &mut Lcg,
    fields: &[custom_field::Model],
    customer_id: i32,
    owner: &app_user::Model,
    organisation: bool,
) -> AppResult<()> {
    for field in fields.iter().filter(|f| organisation || f.key != "renewal_date") {
        let value = match field.key.as_str() {
            "account_number" if rng.next(100) < 85 => {
                let letters = ["AC", "BR", "CD", "NV", "RT"][rng.next(5)];
                format!("{letters}-{:05}", 10_000 + customer_id * 37 % 89_999)
            }
            "revenue_band" if rng.next(100) < 70 => ["Small", "Medium", "Large", "Enterprise"][rng.next(4)].to_string(),
            "renewal_date" if rng.next(2) == 0 => (now() + chrono::TimeDelta::days(rng.next(500) as i64))
                .format("%Y-%m-%d")
                .to_string(),
            _ => continue,
        };
        let confirmed = now() - chrono::TimeDelta::days(rng.next(200) as i64);
        custom_value::ActiveModel {
            customer_id: Set(customer_id),
            field_id: Set(field.id),
            value: Set(value),
            updated_at: Set(confirmed),
            updated_by: Set(Some(owner.id)),
            confirmed_at: Set(confirmed),
            confirmed_by: Set(Some(owner.id)),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
