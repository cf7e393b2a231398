// Validates Prometheus Operator and grafana-operator objects against the operators' CRD
// schemas (through @kubernetes-models/prometheus-operator and grafana-operator). Reads a JSON
// array of objects on stdin; prints one line per object; exits 1 when any is invalid or of a
// kind it has no model for.
import * as monitoring from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import * as grafana from "@kubernetes-models/grafana-operator/grafana.integreatly.org/v1beta1";

const models = {
  "monitoring.coreos.com/v1": monitoring,
  "grafana.integreatly.org/v1beta1": grafana,
};

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
  const Model = models[obj.apiVersion]?.[obj.kind];
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
