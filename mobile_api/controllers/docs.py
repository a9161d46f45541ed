"""A reference page for the API, rendered in the browser from the served OpenAPI document; it loads nothing
from outside the server, so it works on a network with no internet access."""

from __future__ import annotations

from typing import Final

from litestar import Controller, Response, get

PAGE: Final = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>护航 Huhang API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#0b5cad;color:#fff;padding:12px 20px}main{max-width:980px;margin:0 auto;padding:12px 20px}
section.op{background:#fff;border:1px solid #d8dde5;border-radius:6px;margin:10px 0;padding:8px 14px}
.m{display:inline-block;min-width:52px;font-weight:600;color:#fff;border-radius:4px;padding:0 6px;margin-right:8px}
.get{background:#2f7d32}.post{background:#0b5cad}code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f1f3f6;padding:8px;overflow:auto;white-space:pre-wrap}details summary{cursor:pointer}
table{border-collapse:collapse}td{border-top:1px solid #e3e6eb;padding:2px 8px;vertical-align:top}
</style></head><body><header><b>护航 Huhang API</b> — <span id="version"></span>
<a style="color:#fff;float:right" href="/schema/openapi.json">openapi.json</a></header>
<main><div id="intro"></div><div id="ops">Loading…</div></main>
<script>
function esc(t){return String(t).replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]))}
function md(t){return esc(t).replace(/`([^`]+)`/g,"<code>$1</code>").replace(/\\*\\*([^*]+)\\*\\*/g,"<b>$1</b>")
  .replace(/^## (.*)$/gm,"<h3>$1</h3>").replace(/\\n\\n/g,"<p>")}
function ref(s){return s&&s.$ref?s.$ref.split("/").pop():null}
fetch("/schema/openapi.json").then(r=>r.json()).then(doc=>{
  document.getElementById("version").textContent=doc.info.version;
  document.getElementById("intro").innerHTML=md(doc.info.description||"");
  const out=[];
  for(const [path,methods] of Object.entries(doc.paths)){
    for(const [method,op] of Object.entries(methods)){
      const body=op.requestBody?Object.values(op.requestBody.content)[0].schema:null;
      const rows=Object.entries(op.responses||{}).map(([code,r])=>{
        const c=r.content?Object.entries(r.content).map(([t,m])=>esc(t)+(ref(m.schema)?" "+esc(ref(m.schema)):"")).join(", "):"";
        return "<tr><td><b>"+esc(code)+"</b></td><td>"+md(r.description||"")+"</td><td>"+c+"</td></tr>"}).join("");
      out.push("<section class=op><details><summary><span class='m "+method+"'>"+method.toUpperCase()+"</span><code>"+
        esc(path)+"</code> — "+esc(op.summary||"")+"</summary><p>"+md(op.description||"")+"</p>"+
        (body?"<p>Body: <code>"+esc(ref(body)||"object")+"</code></p>":"")+"<table>"+rows+"</table></details></section>");
    }
  }
  const schemas=doc.components&&doc.components.schemas||{};
  out.push("<h3>Schemas</h3>"+Object.entries(schemas).map(([n,s])=>
    "<details><summary><code>"+esc(n)+"</code></summary><pre>"+esc(JSON.stringify(s,null,2))+"</pre></details>").join(""));
  document.getElementById("ops").innerHTML=out.join("");
});
</script></body></html>
"""


class DocsController(Controller):
    path = "/docs"
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def page(self) -> Response[str]:
        """The API reference, rendered from /schema/openapi.json with no outside assets."""
        return Response(PAGE, media_type="text/html; charset=utf-8")
