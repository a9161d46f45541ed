"""The OpenAPI document through openapi-typescript: a small app file that uses the generated types compiles with
`tsc --noEmit --strict` — requests without their defaulted fields, the 201 and its 200 replay, the error model of
a 409 and a 404 — and the compiler refuses what the document forbids."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import require_service
from tests.e2e.conftest import World

PACKAGES = {"openapi-typescript": "7.13.0", "typescript": "5.9.3"}
"""Pinned; installed once from the npm registry into the pytest cache and reused by later runs."""

GENERATE = ["--default-non-nullable", "false"]
"""A field with a `default` is optional: the client may leave it out (the server fills it in)."""

APP = """\
import type { components, operations } from "./api";

type Schemas = components["schemas"];
type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;
type Body<Op extends { requestBody?: unknown }> = Json<NonNullable<Op["requestBody"]>>;

// Signing in: device_id has a default, so it may be left out.
type Login = operations["login"];
const login: Body<Login> = { username: "li.director", password: "secret" };
function tokenOf(answer: Json<Login["responses"][200]>): string {
  return `${answer.token_type} ${answer.access_token} until ${answer.expires_at}`;
}

// Registering: categories, guardians, id_number, occurred_at … have defaults or may be null.
type Register = operations["registerChild"];
const child: Body<Register> = {
  submission_id: "5d7a1c2e-8f4b-4a6d-9e3c-1b0f2a7d6c45", name: "王小明", sex: "female",
  birth_date: "2015-01-01", jurisdiction: "520302/001/003/01/02", address: "某村 1 号",
};
type Created = Json<Register["responses"][201]>;
type Replayed = Json<Register["responses"][200]>;
function sameChild(first: Created, replay: Replayed): boolean {
  return first.child_id === replay.child_id && first.version === replay.version;
}
function replayed(headers: Register["responses"][200]["headers"]): boolean {
  return headers["Idempotent-Replayed"] === "true";
}

// A child's status, with its vocabularies.
function dueLabel(status: Schemas["ChildStatus"]): string {
  const level: Schemas["RiskLevel"] | null = status.risk_level;
  const sex: "male" | "female" = status.sex;
  const guardians: string[] = status.guardians.map((g) => `${g.relation}: ${g.name}`);
  return `${status.name} ${sex} ${level ?? "ungraded"} ${status.next_visit_due ?? "-"} ${guardians.join(", ")}`;
}

// A visit without the optional observations, photos and notes; a referral step without its note.
const visit: Body<operations["recordVisit"]> = {
  submission_id: "e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d70", child_id: "3f2c1a9e-6b1d-4c0e-9a57-2d8f0b6e4c11",
  visit_type: "home", child_seen: true, guardian_present: true,
};
const accept: Body<operations["acceptReferral"]> = { submission_id: "b8d0f2a4-6c1e-4b3d-a5f7-9e1c3a5b7d02" };
const complete: Body<operations["completeReferral"]> = {
  submission_id: "c8d0f2a4-6c1e-4b3d-a5f7-9e1c3a5b7d02", outcome: "已发放救助金",
};

// Refusals read through the one error model.
type Conflict = Json<Register["responses"][409]>;
type Missing = Json<operations["getChild"]["responses"][404]>;
function retryable(error: Conflict | Missing): boolean {
  const code: Schemas["Error"]["code"] = error.code;
  return code === "store_unavailable";
}
const conflict: Conflict = { status_code: 409, code: "submission_conflict", detail: "other content" };
const missing: Missing = { status_code: 404, code: "child_not_found", detail: "no such child" };
const statuses: (keyof Register["responses"])[] = [200, 201, 400, 401, 403, 404, 409, 413, 415, 422, 503];

// What the document forbids, the compiler refuses.
// @ts-expect-error a code outside the registry
const unknownCode: Schemas["Error"]["code"] = "no_such_code";
// @ts-expect-error the password is required
const noPassword: Body<Login> = { username: "li.director" };
// @ts-expect-error completing a referral needs its outcome
const noOutcome: Body<operations["completeReferral"]> = { submission_id: "c8d0f2a4-6c1e-4b3d-a5f7-9e1c3a5b7d02" };
// @ts-expect-error a risk level outside the vocabulary
const purple: Schemas["RiskLevel"] = "purple";

export { login, tokenOf, child, sameChild, replayed, dueLabel, visit, accept, complete, retryable, conflict, missing,
  statuses, unknownCode, noPassword, noOutcome, purple };
"""


def tools(cache: pytest.Cache) -> Path:
    """The folder holding the pinned packages, installed on first use."""
    if shutil.which("npm") is None:
        require_service("npm", "node is on PATH but npm is not")
    folder = cache.mkdir("openapi-typescript")
    wanted = json.dumps(PACKAGES, sort_keys=True)
    stamp = folder / "installed.json"
    if stamp.exists() and stamp.read_text() == wanted and (folder / "node_modules" / ".bin" / "tsc").exists():
        return folder
    (folder / "package.json").write_text(json.dumps({"name": "huhang-ts-check", "private": True}))
    run = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--save-exact", *(f"{k}@{v}" for k, v in PACKAGES.items())],
        cwd=folder, check=False, capture_output=True, text=True, timeout=300,
    )
    if run.returncode != 0:
        require_service("the npm registry", run.stderr[-500:])
    stamp.write_text(wanted)
    return folder


@pytest.fixture(scope="module")
def tool_folder(request: pytest.FixtureRequest) -> Path:
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH: the TypeScript check needs node and npm")
    return tools(request.config.cache)


def test_a_sample_app_compiles_strictly_against_the_generated_types(
        world: World, tool_folder: Path, tmp_path: Path) -> None:
    (tmp_path / "openapi.json").write_text(httpx.get(world.base + "/schema/openapi.json").text, encoding="utf-8")
    bin_ = tool_folder / "node_modules" / ".bin"
    generated = subprocess.run(
        [str(bin_ / "openapi-typescript"), str(tmp_path / "openapi.json"), "-o", str(tmp_path / "api.d.ts"), *GENERATE],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    (tmp_path / "app.ts").write_text(APP, encoding="utf-8")
    compiled = subprocess.run(
        [str(bin_ / "tsc"), "--noEmit", "--strict", "--target", "es2022", "--module", "es2022",
         "--moduleResolution", "bundler", str(tmp_path / "app.ts")],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
