//! Password hashing (argon2id, 19 MiB, 2 passes, 1 lane: the OWASP minimum) and the rules a
//! new password must meet.

use crate::error::{AppError, AppResult, internal};
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 1024;

fn hasher() -> AppResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| internal("argon2 params", e))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| internal("hashing a password", e))?
        .to_string())
}

/// Whether `password` matches `stored`. A malformed stored hash never matches.
pub fn verify(stored: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    hasher()
        .map(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Spends the time a real verification would, so unknown emails cannot be told apart by timing.
pub fn verify_dummy(password: &str) {
    if let Ok(h) = hasher() {
        let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").ok();
        if let Some(salt) = salt {
            let _ = h.hash_password(password.as_bytes(), &salt);
        }
    }
}

/// Checks a new password against the length rule and the user's own name and email.
/// `field` is the form field the message belongs to.
pub fn check_new(field: &str, password: &str, name: &str, email: &str) -> AppResult<()> {
    let chars = password.chars().count();
    let message = if chars < MIN_LENGTH {
        Some(format!("Use at least {MIN_LENGTH} characters."))
    } else if chars > MAX_LENGTH {
        Some(format!("Use at most {MAX_LENGTH} characters."))
    } else {
        let lower = password.to_lowercase();
        let email = email.trim().to_lowercase();
        let local = email.split('@').next().unwrap_or_default().to_string();
        let name_parts: Vec<String> = name
            .to_lowercase()
            .split_whitespace()
            .filter(|p| p.chars().count() >= 3)
            .map(str::to_string)
            .collect();
        let contains_name = name_parts.iter().any(|p| lower.contains(p.as_str()));
        let contains_email = (!email.is_empty() && lower.contains(&email))
            || (local.chars().count() >= 3 && lower.contains(&local));
        if contains_name || contains_email {
            Some("The password must not contain your name or email address.".into())
        } else {
            None
        }
    };
    match message {
        Some(m) => Err(AppError::field(field, m)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_nothing_else() {
        let stored = hash("correct horse battery").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify(&stored, "correct horse battery"));
        assert!(!verify(&stored, "correct horse batterx"));
        assert!(!verify("not a hash", "correct horse battery"));
    }

    #[test]
    fn short_passwords_and_ones_containing_the_name_or_email_are_refused() {
        assert!(check_new("password", "short", "Ann Lee", "ann@x.org").is_err());
        let err = check_new("password", "ann@x.org-1234", "Ann Lee", "ann@x.org").unwrap_err();
        assert!(
            err.field_error("password")
                .unwrap()
                .contains("name or email")
        );
        assert!(check_new("password", "xxbernadettexx", "Bernadette Smith", "b@x.org").is_err());
        assert!(check_new("password", "a perfectly fine one", "Ann Lee", "ann@x.org").is_ok());
    }
}
