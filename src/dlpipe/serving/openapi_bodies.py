"""The request bodies as ``/docs`` shows them: the server reads bodies itself (to cap their size
and name the field at fault), so their schemas are declared here rather than inferred; so is
the predict routes' ``project`` (they read it from the path themselves)."""

from __future__ import annotations

_TENSOR = {
    "type": "object", "required": ["name", "shape", "datatype", "data"],
    "properties": {
        "name": {"type": "string", "description": "a feature column, or 'input' (images)"},
        "shape": {"type": "array", "items": {"type": "integer"},
                  "description": "[n] per column, [n, d] for 'input'"},
        "datatype": {"type": "string", "enum": ["FP64", "FP32", "INT64", "BOOL", "BYTES"]},
        "data": {"type": "array", "items": {}, "description": "row-major values; null or NaN: "
                                                              "missing"}}}

_PROJECT = [{"name": "project", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "a served project"}]

V2_BODY = {"parameters": _PROJECT, "requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["inputs"], "properties": {
        "id": {"type": "string", "description": "echoed in the answer"},
        "inputs": {"type": "array", "items": _TENSOR},
        "outputs": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"enum": ["label", "probabilities"]}}}}}},
    "example": {"id": "1", "inputs": [
        {"name": "sepal length (cm)", "shape": [1], "datatype": "FP64", "data": [5.1]},
        {"name": "sepal width (cm)", "shape": [1], "datatype": "FP64", "data": [3.5]},
        {"name": "petal length (cm)", "shape": [1], "datatype": "FP64", "data": [1.4]},
        {"name": "petal width (cm)", "shape": [1], "datatype": "FP64", "data": [0.2]}]}}}}}

V1_BODY = {"parameters": _PROJECT, "requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["instances"], "properties": {
        "instances": {"type": "array", "items": {
            "type": "object", "description": "column: value (an image project: a list of "
                                             "pixels)"}}}},
    "example": {"instances": [{"sepal length (cm)": 5.1, "sepal width (cm)": 3.5,
                               "petal length (cm)": 1.4, "petal width (cm)": 0.2}]}}}}}

FEEDBACK_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["feedback"], "properties": {
        "feedback": {"type": "array", "items": {
            "type": "object", "required": ["id"], "properties": {
                "id": {"type": "string", "description": "the answer's request id"},
                "row": {"type": "integer", "description": "the row's place in that request "
                                                          "(default 0)"},
                "label": {"description": "the true class (a class name)"},
                "value": {"type": "number", "description": "a numeric target's true value"}}}}}},
    "example": {"feedback": [{"id": "5f0c3e1d9b2a4c6e8f1a3b5c7d9e0f12", "row": 0,
                              "label": "setosa"}]}}}}}
