//! `set_property` and `add_event`: writes to the customer.

use petgraph::graph::NodeIndex;
use serde_json::{Map, Value};

use crate::engine::customers::CustomerEvent;
use crate::engine::error::Result;
use crate::engine::step::StepResult;
use crate::engine::token::Token;
use crate::engine::wave::Wave;
use crate::scenario::compiled::{AddEvent, Port, SetProperty};

impl Wave<'_> {
    fn render_map(
        &self,
        values: &std::collections::BTreeMap<String, Value>,
        token: &Token,
    ) -> StepResult<Map<String, Value>> {
        let evaluation = self.evaluation();
        let mut rendered = Map::new();
        for (name, value) in values {
            let value = evaluation.render_value(value, &token.customer, token.event.as_deref())?;
            rendered.insert(name.clone(), value);
        }
        Ok(rendered)
    }

    /// Writes the node's properties to the customer, then `next`.
    pub(crate) fn set_property(
        &mut self,
        node: NodeIndex,
        set: &SetProperty,
        mut token: Token,
    ) -> Result<()> {
        let properties = match self.render_map(&set.set, &token) {
            Ok(properties) => properties,
            Err(failure) => return self.fail(node, token, failure),
        };
        self.env
            .access
            .set_properties(token.customer.id, &properties, self.now)?;
        crate::engine::overlay::apply(token.customer.properties.make_mut(), &properties);
        token.effects = true;
        self.leave(node, token, Port::Next, true)
    }

    /// Records the node's event on the customer, then `next`.
    pub(crate) fn add_event(
        &mut self,
        node: NodeIndex,
        add: &AddEvent,
        mut token: Token,
    ) -> Result<()> {
        let properties = match self.render_map(&add.properties, &token) {
            Ok(properties) => properties,
            Err(failure) => return self.fail(node, token, failure),
        };
        let event = CustomerEvent {
            event_type: add.event.clone(),
            timestamp: self.now,
            properties,
        };
        self.env.access.record_event(token.customer.id, &event)?;
        token.effects = true;
        self.leave(node, token, Port::Next, true)
    }
}
