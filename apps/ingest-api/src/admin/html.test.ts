import { describe, expect, it } from 'vitest';
import { escapeHtml, html, unescaped } from './html.js';

describe('html', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const openid = `<script>alert("x")</script>' onload='y`;
    const page = html`<a href="/admin/users?openid=${openid}">${openid}</a>`.text;
    expect(page).not.toContain('<script>');
    expect(page).toBe(
      '<a href="/admin/users?openid=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;y">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;y</a>',
    );
  });

  it('nests fragments built by html without escaping them again, and escapes lists item by item', () => {
    const rows = ['<b>', 'a&b'].map((value) => html`<td>${value}</td>`);
    expect(html`<tr>${rows}</tr>`.text).toBe('<tr><td>&lt;b&gt;</td><td>a&amp;b</td></tr>');
  });

  it('leaves out null, undefined and false, and writes numbers and dates', () => {
    expect(html`${null}${undefined}${false}${0}|${new Date(0)}`.text).toBe('0|1970-01-01T00:00:00.000Z');
  });

  it('passes a trusted constant through only when asked', () => {
    expect(html`${unescaped('<br>')}${'<br>'}`.text).toBe('<br>&lt;br&gt;');
    expect(escapeHtml('`&')).toBe('&#96;&amp;');
  });
});
