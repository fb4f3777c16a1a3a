/// <reference lib="dom" />
/** The widget's styles, inside its shadow root: the host page's CSS cannot reach them. */
export const widgetCss = `
:host { all: initial; font: 14px/1.4 system-ui, sans-serif; color: #1f2328; }
.launcher { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px;
  border-radius: 50%; border: 0; background: #0b57d0; color: #fff; font-size: 24px;
  cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.3); z-index: 2147483646; }
.launcher:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible {
  outline: 3px solid #f9ab00; outline-offset: 2px; }
.panel { position: fixed; right: 20px; bottom: 88px; width: 360px; max-width: calc(100vw - 24px);
  height: 520px; max-height: calc(100vh - 110px); display: flex; flex-direction: column;
  background: #fff; border-radius: 12px; box-shadow: 0 4px 24px rgba(0,0,0,.25);
  overflow: hidden; z-index: 2147483647; }
.panel[hidden] { display: none; }
header { background: #0b57d0; color: #fff; padding: 12px 16px; display: flex;
  align-items: center; justify-content: space-between; }
header h2 { font-size: 16px; margin: 0; }
header button { background: transparent; border: 0; color: #fff; font-size: 20px; cursor: pointer; }
.agent { font-size: 12px; opacity: .9; }
.body { flex: 1; overflow-y: auto; padding: 12px 16px; }
.notice { background: #f1f3f4; border-radius: 8px; padding: 8px 12px; margin-bottom: 8px; }
form.prechat { display: flex; flex-direction: column; gap: 8px; }
label { display: flex; flex-direction: column; gap: 4px; font-weight: 600; }
input, textarea { font: inherit; padding: 8px; border: 1px solid #8c959f; border-radius: 6px; }
button.primary { background: #0b57d0; color: #fff; border: 0; border-radius: 6px;
  padding: 8px 12px; font: inherit; cursor: pointer; }
ol.log { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
ol.log li { max-width: 80%; padding: 6px 10px; border-radius: 10px; background: #f1f3f4;
  align-self: flex-start; white-space: pre-wrap; word-break: break-word; }
ol.log li.system { align-self: center; background: transparent; font-size: 12px; color: #57606a; }
ol.log li.mine { align-self: flex-end; background: #d3e3fd; }
.typing { font-size: 12px; color: #57606a; min-height: 1.4em; padding: 0 16px; }
form.compose { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #d0d7de; }
form.compose textarea { flex: 1; resize: none; height: 38px; }
.csat { display: flex; gap: 4px; flex-wrap: wrap; align-items: center; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 480px) {
  .panel { right: 0; bottom: 0; width: 100vw; max-width: 100vw; height: 100vh;
    max-height: 100vh; border-radius: 0; }
}
`;
