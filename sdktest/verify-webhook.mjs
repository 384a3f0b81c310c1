// Verifies captured webhook deliveries with the Standard Webhooks reference
// library for JavaScript (npm "standardwebhooks"). Reads a JSON array of
// {name, secret, headers, body} on stdin and prints a JSON object of
// name -> "ok" or the library's error message. Run by the Go test
// webhooks TestNodeVerifies.
import { Webhook } from "standardwebhooks";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = {};
for (const c of JSON.parse(input)) {
  try {
    new Webhook(c.secret).verify(c.body, c.headers);
    out[c.name] = "ok";
  } catch (err) {
    out[c.name] = String(err && err.message ? err.message : err);
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
