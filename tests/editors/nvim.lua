-- Neovim's own LSP client (0.7, Debian's) speaking to `txlint server`:
-- the diagnostics of the open buffer, then again after an edit that
-- fixes it. Each state is written to $TXLINT_OUT as `line:col CODE
-- severity` lines, one list per state, separated by `--`.
local binary = os.getenv("TXLINT")
local out = os.getenv("TXLINT_OUT")
local lines = {}

local function snapshot()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    local severity = ({ "error", "warning", "information", "hint" })[d.severity] or "?"
    table.insert(found, string.format("%d:%d %s %s", d.lnum + 1, d.col + 1, lsp.code or d.code or "?", severity))
  end
  table.sort(found)
  for _, line in ipairs(found) do
    table.insert(lines, line)
  end
  table.insert(lines, "--")
end

local function finish()
  vim.fn.writefile(lines, out)
  vim.cmd("qa!")
end

local client = vim.lsp.start_client({
  name = "txlint",
  cmd = { binary, "server" },
  root_dir = vim.fn.getcwd(),
  flags = { debounce_text_changes = 20 },
})
if not client then
  table.insert(lines, "the client did not start")
  finish()
end
vim.lsp.buf_attach_client(0, client)

-- Open: the missing ROLLBACK.
vim.wait(15000, function() return #vim.diagnostic.get(0) > 0 end, 20)
snapshot()

-- An unsaved edit that rolls back in the catch clause clears it.
local catch = vim.fn.search("catch (error) {", "n")
vim.api.nvim_buf_set_lines(0, catch, catch, false, { "    await client.query('ROLLBACK')" })
vim.wait(15000, function() return #vim.diagnostic.get(0) == 0 end, 20)
snapshot()
finish()
