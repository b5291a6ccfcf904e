/**
 * Ready-to-paste client code for a tenant, with the gateway's real URL and the freshly issued key filled in: curl,
 * Python requests (as in the seed article), and the Node `2captcha` client (its URLs are fixed in the class, so the
 * snippet overrides them), and the JSON task API (createTask / getTaskResult, anti-captcha style). Each submits the Sandbox's public Turnstile test task and polls every 5 s.
 */
export interface Snippet {
  id: 'curl' | 'python' | 'node' | 'json'
  label: string
  language: string
  code: string
}

const SITEKEY = '0x4AAAAAAAC3DHQFLr1GavRN'
const PAGE = 'https://example.com/'

export function gatewaySnippets(url: string, key: string): Snippet[] {
  const base = url.replace(/\/+$/, '')
  return [
    {
      id: 'curl',
      label: 'curl',
      language: 'sh',
      code: `GATEWAY="${base}"
KEY="${key}"
# What is left of the tenant's budget
curl -s "$GATEWAY/res.php?key=$KEY&action=getbalance"; echo
# Submit a Cloudflare Turnstile task, then poll every 5 s for the answer
ID=$(curl -s "$GATEWAY/in.php" -d "key=$KEY" -d method=turnstile -d sitekey=${SITEKEY} -d pageurl=${PAGE} | cut -d'|' -f2)
while sleep 5; do
  R=$(curl -s "$GATEWAY/res.php?key=$KEY&action=get&id=$ID")
  [ "$R" != "CAPCHA_NOT_READY" ] && echo "$R" && break
done
`,
    },
    {
      id: 'python',
      label: 'Python (requests)',
      language: 'python',
      code: `import time
import requests

GATEWAY = "${base}"
KEY = "${key}"

r = requests.post(f"{GATEWAY}/in.php", data={
    "key": KEY, "method": "turnstile", "json": 1,
    "sitekey": "${SITEKEY}", "pageurl": "${PAGE}",
}).json()
if r["status"] != 1:
    raise SystemExit(r["request"])  # e.g. ERROR_NO_SLOT_AVAILABLE: wait 5 s and retry
task_id = r["request"]
while True:
    time.sleep(5)
    r = requests.get(f"{GATEWAY}/res.php", params={"key": KEY, "action": "get", "id": task_id, "json": 1}).json()
    if r["request"] != "CAPCHA_NOT_READY":
        print(r["request"])
        break
`,
    },
    {
      id: 'node',
      label: 'Node (2captcha)',
      language: 'js',
      code: `// npm install 2captcha
const Captcha = require('2captcha')

// The client's URLs are fixed in the class: point them at the gateway.
class Gateway extends Captcha.Solver {
  get in() { return '${base}/in.php' }
  get res() { return '${base}/res.php' }
}

const solver = new Gateway('${key}')
solver
  .turnstile('${SITEKEY}', '${PAGE}')
  .then((res) => console.log(res.data))
  .catch((err) => console.error(err.message))
`,
    },
    {
      id: 'json',
      label: 'JSON task API',
      language: 'sh',
      code: `GATEWAY="${base}"
KEY="${key}"
# createTask, then getTaskResult every 5 s (the anti-captcha / CapSolver JSON shape)
TASK=$(curl -s "$GATEWAY/createTask" -H 'content-type: application/json' \\
  -d '{"clientKey":"'"$KEY"'","task":{"type":"TurnstileTaskProxyless","websiteURL":"${PAGE}","websiteKey":"${SITEKEY}"}}' \\
  | sed -E 's/.*"taskId": *"?([^",}]+)"?.*/\\1/')
while sleep 5; do
  R=$(curl -s "$GATEWAY/getTaskResult" -H 'content-type: application/json' \\
    -d '{"clientKey":"'"$KEY"'","taskId":"'"$TASK"'"}')
  case "$R" in *'"processing"'*) ;; *) echo "$R"; break ;; esac
done
`,
    },
  ]
}
