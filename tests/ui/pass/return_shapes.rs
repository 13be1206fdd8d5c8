//! Every return shape a hub method may have, with and without a `&HubCx` parameter.

use std::fmt;

use serde::{Deserialize, Serialize};
use signalr_runtime::hub::Hub;
use signalr_runtime::{HubCx, HubError, HubResult, hub};

#[derive(Debug, Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Debug)]
struct Oops;

impl fmt::Display for Oops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oops")
    }
}

impl std::error::Error for Oops {}

#[hub]
trait Shapes {
    async fn nothing(&self);
    async fn unit(&self) -> ();
    async fn string(&self, text: String) -> String;
    async fn point(&self, point: Point) -> Point;
    async fn hub_unit(&self) -> HubResult<()>;
    async fn hub_value(&self, a: u32, b: u32) -> HubResult<u64>;
    async fn std_result(&self, point: Option<Point>) -> Result<Vec<Point>, Oops>;
    async fn full_path(&self) -> signalr_runtime::HubResult<Point>;

    async fn cx_nothing(&self, cx: &HubCx);
    async fn cx_value(&self, cx: &HubCx, text: String) -> String;
    async fn cx_hub_result(&self, cx: &signalr_runtime::HubCx) -> HubResult<String>;
    async fn cx_std_result(&self, cx: &HubCx, n: i64) -> Result<i64, Oops>;
}

struct Impl;

impl Shapes for Impl {
    async fn nothing(&self) {}
    async fn unit(&self) -> () {}
    async fn string(&self, text: String) -> String {
        text
    }
    async fn point(&self, point: Point) -> Point {
        point
    }
    async fn hub_unit(&self) -> HubResult<()> {
        Err(HubError::new("no"))
    }
    async fn hub_value(&self, a: u32, b: u32) -> HubResult<u64> {
        Ok(u64::from(a) + u64::from(b))
    }
    async fn std_result(&self, point: Option<Point>) -> Result<Vec<Point>, Oops> {
        point.map(|point| vec![point]).ok_or(Oops)
    }
    async fn full_path(&self) -> signalr_runtime::HubResult<Point> {
        Ok(Point { x: 1, y: 2 })
    }

    async fn cx_nothing(&self, _cx: &HubCx) {}
    async fn cx_value(&self, cx: &HubCx, text: String) -> String {
        format!("{}: {text}", cx.connection_id())
    }
    async fn cx_hub_result(&self, cx: &HubCx) -> HubResult<String> {
        Ok(cx.connection_id().to_string())
    }
    async fn cx_std_result(&self, _cx: &HubCx, n: i64) -> Result<i64, Oops> {
        n.checked_neg().ok_or(Oops)
    }
}

fn main() {
    let names: Vec<&str> = <ShapesHub<Impl> as Hub>::methods()
        .iter()
        .map(|method| method.name())
        .collect();
    assert_eq!(
        names,
        [
            "Nothing",
            "Unit",
            "String",
            "Point",
            "HubUnit",
            "HubValue",
            "StdResult",
            "FullPath",
            "CxNothing",
            "CxValue",
            "CxHubResult",
            "CxStdResult",
        ]
    );
    let _hub: ShapesHub<Impl> = Impl.into_hub();
}
