export function App() {
  return (
    <main>
      <h1>CaptchaDesk</h1>
      <p>Operator console</p>
    </main>
  )
}
