// Validates Prometheus Operator objects against the operator's CRD schemas (through
// @kubernetes-models/prometheus-operator). Reads a JSON array of objects on stdin; prints one
// line per object; exits 1 when any is invalid or of a kind it has no model for.
import * as v1 from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const input = await new Promise((resolve, reject) => {
  let text = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
  process.stdin.on("error", reject);
});
let failed = false;
for (const obj of JSON.parse(input)) {
  const what = `${obj.kind}/${obj.metadata?.name}`;
  const Model = obj.apiVersion === "monitoring.coreos.com/v1" ? v1[obj.kind] : undefined;
  if (typeof Model !== "function") {
    console.log(`${what}: no CRD model for ${obj.apiVersion} ${obj.kind}`);
    failed = true;
    continue;
  }
  try {
    new Model(obj).validate();
    console.log(`${what}: valid`);
  } catch (e) {
    console.log(`${what}: ${e.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
