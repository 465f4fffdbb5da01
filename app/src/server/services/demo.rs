//! Demo data for `seed-demo` and `make run`: teams, one sign-in per role and more staff with
//! known passwords, and about 200 customers with contacts, interactions and follow-ups; added
//! only to an empty database.

use crate::error::AppResult;
use crate::model::user::Role;
use crate::server::entities::{app_user, team, team_manager};
use crate::server::services::{now, users};
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
    let txn = super::begin_write(db).await?;
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
    staff.extend(everyone.into_iter().filter(|u| u.role != "admin"));
    seed_customers(&txn, &staff).await?;
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
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
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
    let start = now();
    for i in 0..200 {
        let owner = &staff[rng.next(staff.len())];
        let organisation = i % 3 != 0;
        let name = if organisation {
            format!("{} {} {}", FIRMS[rng.next(FIRMS.len())], TRADES[rng.next(TRADES.len())], i + 1)
        } else {
            format!("{} {}", FIRST[rng.next(FIRST.len())], LAST[rng.next(LAST.len())])
        };
        let key = super::customers::name_key(&name);
        let email = (rng.next(10) < 8).then(|| format!("{key}{i}@example.com"));
        let phone = (rng.next(10) < 6).then(|| format!("+49 30 {:07}", 1_000_000 + i * 7919 % 8_999_999));
        let stage = &stages[rng.next(stages.len())];
        let created = start - chrono::TimeDelta::days(30 + rng.next(300) as i64);
        let c = customer::ActiveModel {
            kind: Set(if organisation { "organisation" } else { "person" }.into()),
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
        if !interactions.is_empty() {
            interaction::Entity::insert_many(interactions).exec(db).await?;
        }
        // Open follow-ups: some overdue, some today, some later; and some done in the past.
        let due_in_hours: Option<i64> = match rng.next(6) {
            0 => Some(-(24 * (1 + rng.next(10) as i64))),
            1 => Some(1 + rng.next(6) as i64),
            2 | 3 => Some(24 * (1 + rng.next(30) as i64)),
            _ => None,
        };
        if let Some(hours) = due_in_hours {
            follow_up::ActiveModel {
                customer_id: Set(c.id),
                assignee_id: Set(owner.id),
                created_by: Set(Some(owner.id)),
                due_at: Set(start + chrono::TimeDelta::hours(hours)),
                note: Set(["Call back about the quote", "Check the delivery arrived", "Ask for a referral", ""][rng.next(4)].into()),
                status: Set(super::follow_ups::OPEN.into()),
                completed_at: Set(None),
                completed_by: Set(None),
                created_at: Set(created),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        if let Some(at) = last {
            follow_up::ActiveModel {
                customer_id: Set(c.id),
                assignee_id: Set(owner.id),
                created_by: Set(Some(owner.id)),
                due_at: Set(at),
                note: Set("Follow up on the last conversation".into()),
                status: Set(super::follow_ups::DONE.into()),
                completed_at: Set(Some(at)),
                completed_by: Set(Some(owner.id)),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        customer::ActiveModel {
            id: Set(c.id),
            last_interaction_at: Set(last),
            ..Default::default()
        }
        .update(db)
        .await?;
        super::follow_ups::refresh_next(db, c.id).await?;
        super::customers::refresh_quality(db, c.id).await?;
    }
    Ok(())
}
