// Bank accounts: CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
// Functions (one module, several exports): account.balance, account.deposit, account.withdraw, account.transfer.
// The Rust port of guest/assemblyscript/examples/bank.ts: same results, same abort messages.
use acheron::{call, export, get_int, set_int, Key, Value};

fn debit(amount: i64) -> Result<i64, &'static str> {
    if amount <= 0 {
        return Err("amount must be positive");
    }
    let current = get_int("balance");
    if current < amount {
        return Err("insufficient funds");
    }
    let next = current - amount; // 0 <= next < current: no overflow
    set_int("balance", next);
    Ok(next)
}

export! {
    /// CALL account.balance('alice') → the balance (0 for an absent account).
    fn balance() -> i64 {
        get_int("balance")
    }

    /// CALL account.deposit('alice', amount) → the new balance. Creates the account if absent.
    fn deposit(amount: i64) -> Result<i64, &'static str> {
        if amount <= 0 {
            return Err("deposit amount must be positive");
        }
        // i64 addition wraps around silently in a release build: checked_add says when it would.
        let next = get_int("balance").checked_add(amount).ok_or("balance would overflow")?;
        set_int("balance", next);
        Ok(next)
    }

    /// CALL account.withdraw('alice', amount) → the new balance; aborts with "insufficient funds".
    fn withdraw(amount: i64) -> Result<i64, &'static str> {
        debit(amount)
    }

    /// CALL account.transfer('alice', 'bob', amount) → alice's new balance; bob is credited by a nested call.
    /// export! checks the argument types: `to` must be a key (TEXT or INTEGER) and `amount` INTEGER, or
    /// the call aborts.
    fn transfer(to: Key, amount: i64) -> Result<i64, &'static str> {
        let next = debit(amount)?;
        call("account.deposit", to, &[Value::Int(amount)]);
        Ok(next)
    }
}
