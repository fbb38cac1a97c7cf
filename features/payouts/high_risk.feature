@payouts @payouts_7 @emulator_only
Feature: A payout to a high-risk address is refused, costs the customer nothing and is not retried
  Proves, in Cryptopay's words:
  - Payouts item 7: Make sure that you process the high_risk_address error correctly and understand that Cryptopay will not be able to process a withdrawal request when the transaction destination address is associated with an illegal/darknet resource and marked as a high-risk
  Cryptopay screens every destination address before it processes a payout, and refuses one associated
  with illegal or darknet resources; asking again would be refused again. The merchant
  debits nothing (or gives it back before it answers) and tells the customer at once that their address was
  refused: a final answer, not a request kept for retries. On the sandbox no address can be made high-risk on
  demand, so this is proven on the emulator.

  Scenario: A payout to an address Cryptopay screens as high-risk is refused and the customer is told
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR
    And Cryptopay screens the customer's address in crypto as high-risk
    When the customer asks to withdraw 20.00 EUR, sent in crypto
    Then the merchant told the customer the address was refused as high-risk
    And the customer's balance is untouched
