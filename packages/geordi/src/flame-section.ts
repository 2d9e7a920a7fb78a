/**
 * The result page's flame graph: the worker's SVG inline (so the page's script can zoom it), its
 * own style and a small script, both under the page's CSP nonce. Frames carry their geometry as
 * `data-` attributes and the script only moves rects and cuts labels: no framework, no request,
 * nothing from outside the page.
 */

// Mirrors fitFlameLabel() and the frame layout of render/flame-svg.ts (kept apart so the web
// process never loads the renderer): 7.3 units per monospace glyph, 3 units of padding.
const SCRIPT = `(function(){var svg=document.querySelector('.flame svg');if(!svg)return;
var W=+svg.getAttribute('data-width'),frames=[].slice.call(svg.querySelectorAll('g[data-x]'));
function num(g,n){return +g.getAttribute('data-'+n)}
function fit(g,w){var t=g.querySelector('text'),n=g.getAttribute('data-n'),c=Math.floor((w-6)/7.3);
t.textContent=c<3?'':(n.length>c?n.slice(0,c-1)+'\\u2026':n)}
function show(g,x,w,ancestor){var r=g.querySelector('rect');g.removeAttribute('display');
r.setAttribute('x',x.toFixed(2));r.setAttribute('width',w.toFixed(2));g.querySelector('text').setAttribute('x',(x+3).toFixed(2));
fit(g,w);g.classList.toggle('ancestor',ancestor)}
function zoom(target){var x0=num(target,'x'),w0=num(target,'w'),d0=num(target,'d'),e=1e-7;
frames.forEach(function(g){var x=num(g,'x'),w=num(g,'w'),d=num(g,'d');
if(d<d0){if(x<=x0+e&&x+w>=x0+w0-e)show(g,0,W,true);else g.setAttribute('display','none')}
else if(x>=x0-e&&x+w<=x0+w0+e)show(g,(x-x0)/w0*W,w/w0*W,false);else g.setAttribute('display','none')})}
svg.addEventListener('click',function(ev){var g=ev.target.closest('g[data-x]');if(g)zoom(g)});
svg.addEventListener('keydown',function(ev){if(ev.key==='Escape'&&frames[0])zoom(frames[0])})})()`

const STYLE = `.flame svg{display:block;width:100%;height:auto;border:1px solid #ddd;cursor:pointer;background:#fff}
.flame g:hover rect{stroke:#000;stroke-width:.8}.flame g.ancestor rect{opacity:.55}.flame text{pointer-events:none}
.flame .hint{color:#555;font-size:13px}`

/** The flame graph section of the result page, or a note when the job has none (an older job). */
export function flameSection(flameSvg: string | undefined, nonce: string): string {
  if (flameSvg === undefined || !flameSvg.startsWith('<svg')) return ''
  return `<h2>Flame graph</h2><div class="flame"><p class="hint">Width is time; callers above callees. Hover a frame for its time, click to zoom into it, click the top frame (or Escape) to zoom out.</p>
<style nonce="${nonce}">${STYLE}</style>${flameSvg.replace('<svg ', '<svg tabindex="0" ')}<script nonce="${nonce}">${SCRIPT}</script></div>`
}
