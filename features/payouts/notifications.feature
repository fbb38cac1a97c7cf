@payouts @payouts_3
Feature: Notifications of a payout are received, verified and followed
  Proves, in Cryptopay's words:
  - Payouts item 3: Make sure that you have received the callbacks and processed them correctly on your side
  Cryptopay notifies the merchant when a payout is created and each time its status changes (processing,
  sent, completed, or failed, cancelled, on hold). The merchant acknowledges each notification and follows
  what Cryptopay reports. A notification Cryptopay did not sign is refused by the merchant's signature check
  and changes nothing; here one claims the payout was cancelled, which would give the customer the amount back:
    forged      - signed, but with a secret other than the account's callback secret
    tampered    - signed by Cryptopay, then changed on its way to the merchant
    unsigned    - carries no signature at all
    misdirected - carries Cryptopay's genuine signature, but one made over another notification's content
  Cryptopay's log of the notifications it delivered is visible on the emulator only; on the sandbox the refusals
  are proven here, and the merchant's record following Cryptopay by the status feature.

  Background:
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR

  @emulator_only
  Scenario: Every notification of a payout is acknowledged and followed
    When the customer asks to withdraw 20.00 EUR, sent in crypto
    Then Cryptopay sent the merchant the "created", "processing", "sent" and "completed" notifications of the payout, and each was acknowledged
    And the merchant records the payout as completed

  @security @negative
  Scenario Outline: A <kind> notification that a payout was cancelled is refused
    Given the customer's 20.00 EUR payout, sent in crypto, has completed
    When someone sends the merchant a <kind> "cancelled" notification of the payout
    Then the merchant refused the notification
    And the merchant still records the payout as completed
    And the customer's balance still shows what is left after the payout

    Examples:
      | kind        |
      | forged      |
      | tampered    |
      | unsigned    |
      | misdirected |
