//! The states and kinds things have: one enum each, one spelling. Each is stored as the same
//! text it always was (the `ssr` build maps it onto its text column with sea-orm's
//! `DeriveActiveEnum`, so a stored value that is not one of these is a database error, never a
//! default), crosses the wire as that text, and has the label people see.

use crate::model::crm::Choice;

/// Declares a state or kind: `Variant = "stored text" / "Label"`.
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:tt / $label:tt,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum, utoipa::ToSchema))]
        #[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                #[cfg_attr(feature = "ssr", sea_orm(string_value = $text))]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the order people see them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// What people see.
            pub const fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// The value spelt `text`, if there is one.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }

            /// Every value as a select choice.
            pub fn choices() -> Vec<Choice> {
                $name::ALL
                    .iter()
                    .map(|v| Choice { value: v.as_str().to_string(), label: v.label().to_string() })
                    .collect()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// A run of a process on a customer.
    pub enum RunStatus {
        Active = "active" / "Active",
        Completed = "completed" / "Completed",
        Cancelled = "cancelled" / "Cancelled",
    }
}

text_enum! {
    /// A step of a run.
    pub enum StepStatus {
        /// Blocked by a stop or an approval before it.
        Waiting = "waiting" / "Waiting",
        Available = "available" / "To do",
        Done = "done" / "Done",
        Skipped = "skipped" / "Skipped",
        Approved = "approved" / "Approved",
        Rejected = "rejected" / "Rejected",
    }
}

impl StepStatus {
    /// Whether the step needs nothing more (done, skipped or approved).
    pub fn finished(self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped | StepStatus::Approved)
    }
}

text_enum! {
    /// What a step asks for.
    pub enum StepKind {
        Task = "task" / "Task",
        Data = "data" / "Data",
        Approval = "approval" / "Approval",
        Stop = "stop" / "Stop",
    }
}

text_enum! {
    /// A version of a process template.
    pub enum VersionStatus {
        Draft = "draft" / "Draft",
        Published = "published" / "Published",
        Archived = "archived" / "Archived",
    }
}

text_enum! {
    /// An email in the outbox.
    pub enum OutboxStatus {
        Pending = "pending" / "Pending",
        Sent = "sent" / "Sent",
        Failed = "failed" / "Failed",
        /// Kept here (no SMTP configured): the development mailbox shows it.
        Held = "held" / "Held",
    }
}

text_enum! {
    /// A CSV import of customers.
    pub enum ImportStatus {
        Rejected = "rejected" / "Refused",
        Uploaded = "uploaded" / "Waiting for column mapping",
        Queued = "queued" / "Queued",
        Running = "running" / "Importing",
        Done = "done" / "Finished",
        Failed = "failed" / "Failed",
        RevertQueued = "revert_queued" / "Revert queued",
        Reverting = "reverting" / "Reverting",
        Reverted = "reverted" / "Reverted",
    }
}

impl ImportStatus {
    /// Whether the background run (or its revert) has work left.
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            ImportStatus::Queued | ImportStatus::Running | ImportStatus::RevertQueued | ImportStatus::Reverting
        )
    }

    /// Whether this is the revert's part of the life of an import.
    pub fn is_revert(self) -> bool {
        matches!(self, ImportStatus::RevertQueued | ImportStatus::Reverting | ImportStatus::Reverted)
    }
}

text_enum! {
    /// A follow-up.
    pub enum FollowUpStatus {
        Open = "open" / "Open",
        Done = "done" / "Done",
        Cancelled = "cancelled" / "Cancelled",
    }
}

text_enum! {
    /// What a customer is.
    pub enum CustomerKind {
        Organisation = "organisation" / "Organisation",
        Person = "person" / "Person",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_is_spelt_once_and_parses_back() {
        for s in StepStatus::ALL {
            assert_eq!(StepStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_string(s).ok(), Some(format!("\"{}\"", s.as_str())));
        }
        assert_eq!(ImportStatus::parse("revert_queued"), Some(ImportStatus::RevertQueued));
        assert_eq!(RunStatus::parse("Active"), None, "spelling is exact");
        assert_eq!(StepKind::parse(""), None);
        assert!(serde_json::from_str::<RunStatus>("\"paused\"").is_err());
        assert_eq!(StepStatus::Available.label(), "To do");
        assert!(StepStatus::Approved.finished() && !StepStatus::Rejected.finished());
    }
}
