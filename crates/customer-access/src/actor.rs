//! Who performs an operation: recorded on every audit event.

use std::fmt;

use crate::ids::{ContactId, DeviceId, StaffId};

/// A staff member acting on contacts' logins. Staff never see a password.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Staff {
    /// A sales admin: may manage every retailer's contacts.
    SalesAdmin {
        /// Who.
        staff_id: StaffId,
    },
    /// A sales rep on an iPad: may manage only the retailers assigned to them
    /// ([`crate::Store::assigned_retailers`]).
    IpadUser {
        /// Who.
        staff_id: StaffId,
        /// On which device.
        device_id: DeviceId,
    },
}

impl Staff {
    /// The staff member's id.
    pub fn staff_id(&self) -> StaffId {
        match self {
            Self::SalesAdmin { staff_id } | Self::IpadUser { staff_id, .. } => *staff_id,
        }
    }
}

/// Who performed an operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Actor {
    /// The contact itself (self-service reset, login, password change).
    Contact(ContactId),
    /// A staff member.
    Staff(Staff),
    /// The library itself (withdrawing an undeliverable temporary password, ...).
    System,
}

/// An encoded actor could not be decoded (see [`Actor::decode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed actor encoding")]
pub struct ActorDecodeError;

impl Actor {
    /// A compact, stable text form for stores: `contact:7`, `sales_admin:42`,
    /// `ipad_user:42:DEVICE`, `system`.
    pub fn encode(&self) -> String {
        match self {
            Self::Contact(id) => format!("contact:{id}"),
            Self::Staff(Staff::SalesAdmin { staff_id }) => format!("sales_admin:{staff_id}"),
            Self::Staff(Staff::IpadUser { staff_id, device_id }) => {
                format!("ipad_user:{staff_id}:{device_id}")
            }
            Self::System => "system".to_owned(),
        }
    }

    /// Parse [`encode`](Self::encode)'s output.
    ///
    /// ```
    /// use customer_access::{Actor, DeviceId, Staff, StaffId};
    /// let actor = Actor::Staff(Staff::IpadUser {
    ///     staff_id: StaffId::new(4),
    ///     device_id: DeviceId::parse("ipad-17").unwrap(),
    /// });
    /// assert_eq!(Actor::decode(&actor.encode()), Ok(actor));
    /// ```
    ///
    /// # Errors
    /// [`ActorDecodeError`] for anything `encode` cannot produce.
    pub fn decode(text: &str) -> Result<Self, ActorDecodeError> {
        let mut parts = text.splitn(3, ':');
        let kind = parts.next().ok_or(ActorDecodeError)?;
        let id = parts.next().map(parse_id).transpose()?;
        let device = parts.next();
        match (kind, id, device) {
            ("system", None, None) => Ok(Self::System),
            ("contact", Some(id), None) => Ok(Self::Contact(ContactId::new(id))),
            ("sales_admin", Some(id), None) => Ok(Self::Staff(Staff::SalesAdmin { staff_id: StaffId::new(id) })),
            ("ipad_user", Some(id), Some(device)) => Ok(Self::Staff(Staff::IpadUser {
                staff_id: StaffId::new(id),
                device_id: DeviceId::parse(device).map_err(|_| ActorDecodeError)?,
            })),
            _ => Err(ActorDecodeError),
        }
    }
}

fn parse_id(s: &str) -> Result<i64, ActorDecodeError> {
    // Only the canonical decimal form, so decode(encode(x)) == x and nothing else decodes.
    let id: i64 = s.parse().map_err(|_| ActorDecodeError)?;
    if id.to_string() == s { Ok(id) } else { Err(ActorDecodeError) }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Contact(id) => write!(f, "contact {id}"),
            Self::Staff(Staff::SalesAdmin { staff_id }) => write!(f, "sales admin {staff_id}"),
            Self::Staff(Staff::IpadUser { staff_id, device_id }) => {
                write!(f, "iPad user {staff_id} on {device_id}")
            }
            Self::System => f.write_str("system"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_refuses_anything_encode_cannot_make() {
        for bad in [
            "",
            "system:1",
            "contact",
            "contact:x",
            "contact:+1",
            "contact:01",
            "sales_admin:1:d",
            "ipad_user:1",
            "ipad_user:1:",
            "ipad_user:1:a b",
            "robot:1",
        ] {
            assert_eq!(Actor::decode(bad), Err(ActorDecodeError), "{bad:?}");
        }
        assert_eq!(Actor::decode("contact:-3"), Ok(Actor::Contact(ContactId::new(-3))));
    }
}
