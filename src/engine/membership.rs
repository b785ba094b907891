//! `klaviyo_list` / `klaviyo_segment`: reads the memberships the Klaviyo sync keeps on the
//! customer (`klaviyo_lists`, `klaviyo_segments`: arrays of group ids).

use serde_json::Value;

use super::customers::CustomerView;
use super::predicate::Evaluation;
use super::step::StepResult;
use crate::scenario::compiled::KlaviyoGroup;

impl Evaluation<'_> {
    /// Whether the customer is in the group; the id may be a template (`{{ params.… }}`).
    pub fn member_of(
        &self,
        group: KlaviyoGroup,
        id: &str,
        customer: &CustomerView,
        event: Option<&Value>,
    ) -> StepResult<bool> {
        let wanted = self.render_value(&Value::from(id), customer, event)?;
        let Some(wanted) = wanted.as_str() else {
            return Ok(false);
        };
        Ok(match customer.value(group.property()) {
            Some(Value::Array(ids)) => ids.iter().any(|g| g.as_str() == Some(wanted.trim())),
            // A single id, as a CSV import or `set_property` may write it.
            Some(Value::String(one)) => one.split(',').any(|g| g.trim() == wanted.trim()),
            _ => false,
        })
    }
}
