//! Parsing hub messages: one message array, items by position.

use bytes::Bytes;

use super::token::{Token, read_token, skip_value};
use crate::error::ProtocolError;
use crate::protocol::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Sequence,
    StreamItem, Value,
};

fn invalid(text: impl Into<String>) -> ProtocolError {
    ProtocolError::InvalidMessagePack(text.into())
}

fn read_failed(field: &str, kind: &str) -> ProtocolError {
    invalid(format!("Reading '{field}' as {kind} failed."))
}

/// Reads the items of one message array in order.
struct Reader<'a> {
    record: &'a Bytes,
    rest: &'a [u8],
    /// Items of the message array not read yet.
    items: u32,
}

impl<'a> Reader<'a> {
    fn start(record: &'a Bytes) -> Result<Self, ProtocolError> {
        let mut rest = record.as_ref();
        match read_token(&mut rest) {
            Some(Token::Array(items)) => Ok(Reader {
                record,
                rest,
                items,
            }),
            _ => Err(invalid("Reading array length for 'message' failed.")),
        }
    }

    /// Moves to the next item of the message array, which must be there.
    fn item(&mut self, field: &'static str) -> Result<(), ProtocolError> {
        self.items = self
            .items
            .checked_sub(1)
            .ok_or(ProtocolError::MissingProperty(field))?;
        Ok(())
    }

    /// Moves to the next item of the message array if there is one.
    fn optional_item(&mut self) -> bool {
        let present = self.items > 0;
        self.items = self.items.saturating_sub(1);
        present
    }

    fn token(&mut self) -> Option<Token<'a>> {
        read_token(&mut self.rest)
    }

    /// A string or nil; `None` for anything else.
    fn string(&mut self) -> Option<Option<String>> {
        match self.token()? {
            Token::Nil => Some(None),
            Token::Str(bytes) => std::str::from_utf8(bytes).ok().map(|s| Some(s.to_owned())),
            _ => None,
        }
    }

    fn int(&mut self) -> Option<i64> {
        match self.token()? {
            Token::Unsigned(value) => i64::try_from(value).ok(),
            Token::Signed(value) => Some(value),
            _ => None,
        }
    }

    fn array_len(&mut self, field: &str) -> Result<u32, ProtocolError> {
        match self.token() {
            Some(Token::Array(len)) => Ok(len),
            _ => Err(invalid(format!(
                "Reading array length for '{field}' failed."
            ))),
        }
    }

    /// One whole value, kept raw: a slice of the record, not a copy.
    fn raw(&mut self, field: &str) -> Result<Value, ProtocolError> {
        let before = self.rest;
        let malformed = || invalid(format!("Reading '{field}' failed."));
        skip_value(&mut self.rest).ok_or_else(malformed)?;
        let (value, _) = before
            .split_at_checked(before.len() - self.rest.len())
            .ok_or_else(malformed)?;
        Ok(Value::raw_msgpack(self.record.slice_ref(value)))
    }

    fn headers(&mut self) -> Result<Headers, ProtocolError> {
        self.item("headers")?;
        let len = match self.token() {
            Some(Token::Map(len)) => len,
            _ => return Err(invalid("Reading map length for 'headers' failed.")),
        };
        let mut headers = Headers::new();
        for index in 0..len {
            let key = self
                .string()
                .ok_or_else(|| read_failed(&format!("headers[{index}].Key"), "String"))?
                .filter(|key| !key.is_empty())
                .ok_or_else(|| invalid("Null or empty key in header."))?;
            let value = self
                .string()
                .ok_or_else(|| read_failed(&format!("headers[{index}].Value"), "String"))?
                .filter(|value| !value.is_empty())
                .ok_or_else(|| invalid("Null or empty value in header."))?;
            headers.insert(key, value);
        }
        Ok(headers)
    }

    /// The invocation id, where nil and empty both mean none.
    fn invocation_id(&mut self) -> Result<Option<String>, ProtocolError> {
        self.item("invocationId")?;
        let id = self
            .string()
            .ok_or_else(|| read_failed("invocationId", "String"))?;
        Ok(id.filter(|id| !id.is_empty()))
    }

    fn required_invocation_id(&mut self) -> Result<String, ProtocolError> {
        self.invocation_id()?
            .ok_or(ProtocolError::MissingProperty("invocationId"))
    }

    fn sequence_id(&mut self) -> Result<u64, ProtocolError> {
        self.item("sequenceId")?;
        match self.token() {
            Some(Token::Unsigned(id)) => Ok(id),
            Some(Token::Signed(id)) => {
                u64::try_from(id).map_err(|_| read_failed("sequenceId", "Int64"))
            }
            _ => Err(read_failed("sequenceId", "Int64")),
        }
    }

    /// Headers, id, target, arguments and (when there are six items) stream ids.
    fn invocation(&mut self, id_required: bool) -> Result<Invocation, ProtocolError> {
        let headers = self.headers()?;
        let invocation_id = if id_required {
            Some(self.required_invocation_id()?)
        } else {
            self.invocation_id()?
        };
        self.item("target")?;
        let target = self
            .string()
            .ok_or_else(|| read_failed("target", "String"))?
            .filter(|target| !target.is_empty())
            .ok_or(ProtocolError::MissingProperty("target"))?;
        self.item("arguments")?;
        let count = self.array_len("arguments")?;
        let arguments = (0..count)
            .map(|_| self.raw("arguments"))
            .collect::<Result<Vec<_>, _>>()?;
        // The JavaScript client leaves the stream ids out when there are none.
        let stream_ids = if self.optional_item() {
            let count = self.array_len("streamIds")?;
            let ids = (0..count)
                .map(|_| {
                    self.string()
                        .ok_or_else(|| read_failed("streamIds", "String"))?
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| invalid("Null or empty value in streamIds received."))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (!ids.is_empty()).then_some(ids)
        } else {
            None
        };
        Ok(Invocation {
            headers,
            invocation_id,
            target,
            arguments,
            stream_ids,
        })
    }

    fn completion(&mut self) -> Result<Completion, ProtocolError> {
        let headers = self.headers()?;
        let invocation_id = self.required_invocation_id()?;
        self.item("resultKind")?;
        let kind = self
            .int()
            .ok_or_else(|| read_failed("resultKind", "Int32"))?;
        let outcome = match kind {
            1 => {
                self.item("error")?;
                match self
                    .string()
                    .ok_or_else(|| read_failed("error", "String"))?
                {
                    Some(error) => Outcome::Error(error),
                    None => Outcome::Void,
                }
            }
            2 => Outcome::Void,
            3 => {
                self.item("result")?;
                Outcome::Value(self.raw("result")?)
            }
            _ => return Err(invalid("Invalid invocation result kind.")),
        };
        Ok(Completion {
            headers,
            invocation_id,
            outcome,
        })
    }

    fn close(&mut self) -> Result<Close, ProtocolError> {
        let error = if self.optional_item() {
            self.string()
                .ok_or_else(|| read_failed("error", "String"))?
        } else {
            None
        };
        let allow_reconnect = if self.optional_item() {
            match self.token() {
                Some(Token::Bool(allow)) => allow,
                _ => return Err(read_failed("allowReconnect", "Boolean")),
            }
        } else {
            false
        };
        Ok(Close {
            error,
            allow_reconnect,
        })
    }
}

/// Parses one record (without its length prefix); `Ok(None)` for a message type this server
/// does not know.
pub(crate) fn parse_message(record: &Bytes) -> Result<Option<HubMessage>, ProtocolError> {
    let mut reader = Reader::start(record)?;
    reader.item("type")?;
    let kind = reader
        .int()
        .ok_or_else(|| read_failed("messageType", "Int32"))?;
    let message = match kind {
        1 => HubMessage::Invocation(reader.invocation(false)?),
        2 => {
            let headers = reader.headers()?;
            let invocation_id = reader.required_invocation_id()?;
            reader.item("item")?;
            HubMessage::StreamItem(StreamItem {
                headers,
                invocation_id,
                item: reader.raw("item")?,
            })
        }
        3 => HubMessage::Completion(reader.completion()?),
        4 => HubMessage::StreamInvocation(reader.invocation(true)?),
        5 => HubMessage::CancelInvocation(CancelInvocation {
            headers: reader.headers()?,
            invocation_id: reader.required_invocation_id()?,
        }),
        6 => HubMessage::Ping,
        7 => HubMessage::Close(reader.close()?),
        8 => HubMessage::Ack(Ack {
            sequence_id: reader.sequence_id()?,
        }),
        9 => HubMessage::Sequence(Sequence {
            sequence_id: reader.sequence_id()?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(message))
}
